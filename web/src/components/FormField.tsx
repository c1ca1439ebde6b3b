import type { ReactNode } from 'react';
import { fieldErrors } from '../apollo/errors';

// A mutation's errors placed on the form that sent it: under the input each names, and the
// rest (no field, or a field this form has no input for) above the submit button.
export type PlacedErrors = { byField: Partial<Record<string, string>>; general: string[] };

export function placeErrors(error: unknown, inputNames: readonly string[]): PlacedErrors {
  const { byField, general } = fieldErrors(error);
  const placed: PlacedErrors = { byField: {}, general: [...general] };
  for (const [field, message] of Object.entries(byField)) {
    if (inputNames.includes(field)) placed.byField[field] = message;
    else placed.general.push(message);
  }
  return placed;
}

export const noErrors: PlacedErrors = { byField: {}, general: [] };

type FormFieldProps = { label: string; name: string; error?: string; children: ReactNode };

// A labelled input with the server's message for it right underneath.
export function FormField({ label, name, error, children }: FormFieldProps) {
  return (
    <div className="form-field">
      <label>
        {label}
        {children}
      </label>
      {error && (
        <p className="field-error" data-field-error={name}>
          {error}
        </p>
      )}
    </div>
  );
}

export function FormErrors({ messages }: { messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <div className="error" data-testid="form-error" role="alert">
      {messages.map((message) => (
        <p key={message}>{message}</p>
      ))}
    </div>
  );
}
