import { ActivityForm } from './activity-form';
import type { FormProps } from './common';
import { CompanyForm } from './company-form';
import { ContactForm } from './contact-form';
import { DealForm } from './deal-form';
import { LeadForm } from './lead-form';
import { TaskForm } from './task-form';

export type CreateItem = 'company' | 'contact' | 'lead' | 'deal' | 'task' | 'call' | 'meeting';

/** The form of one menu item; loaded on demand (QuickCreate imports this module when the "+" is first used). */
export default function FormFor({ item, ...props }: FormProps & { item: CreateItem }) {
  switch (item) {
    case 'company':
      return <CompanyForm {...props} />;
    case 'contact':
      return <ContactForm {...props} />;
    case 'lead':
      return <LeadForm {...props} />;
    case 'deal':
      return <DealForm {...props} />;
    case 'task':
      return <TaskForm {...props} />;
    case 'call':
    case 'meeting':
      return <ActivityForm {...props} initialType={item} />;
  }
}
