// Placeholder until this page is written.
export function CustomerPage() {
  return <p>CustomerPage</p>;
}
