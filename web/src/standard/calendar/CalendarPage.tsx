import type { Me } from '../../api';

/** Placeholder until its feature lands (issue 17). */
export default function Page(_props: { me: Me; editable: boolean }) {
  return null;
}
