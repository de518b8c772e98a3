import type { Me } from '../api';

/** The notifications page (filled in by the notifications feature). */
export default function NotificationsPage(_: { me: Me }) {
  return null;
}
