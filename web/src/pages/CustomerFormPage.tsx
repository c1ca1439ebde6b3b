// Placeholder until this page is written.
export function CustomerFormPage() {
  return <p>CustomerFormPage</p>;
}
