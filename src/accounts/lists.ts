import { namedList } from '../platform/resource/named-list.ts';

/** The lists the head of sales keeps for accounts: product groups and churn reasons. */

export const productGroups = namedList({
  path: 'product-groups',
  table: 'product_groups',
  what: { en: 'product group', ru: 'продуктовая группа' },
  names: 'one',
  activeMeans: 'Offered for new contracts; an inactive one stays where it is named',
});

export const churnReasons = namedList({
  path: 'churn-reasons',
  table: 'churn_reasons',
  what: { en: 'churn reason', ru: 'причина оттока' },
  names: 'ru+en',
  activeMeans: 'Offered for new churn marks; an inactive one stays where it is named',
});
