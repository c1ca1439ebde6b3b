type Money = { amount: string; currency: string };

// Display only: the amount stays an exact decimal string everywhere else.
export const formatMoney = ({ amount, currency }: Money) => new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(Number(amount));

export const formatDate = (iso: string) => new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' });

export const formatDateTime = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

// "4 of 35", or just "4" when everything is shown.
export const countOf = (shown: number, total: number) => (shown < total ? `${shown} of ${total}` : `${total}`);
