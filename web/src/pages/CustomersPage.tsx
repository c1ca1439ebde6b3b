// Placeholder until this page is written.
export function CustomersPage() {
  return <p>CustomersPage</p>;
}
