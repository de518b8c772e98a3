import type { Me } from '../api';

/** The header's bell: unread notifications (filled in by the notifications feature). */
export function NotificationBell(_: { me: Me }) {
  return null;
}
