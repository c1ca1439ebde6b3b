import type { ReactNode } from 'react';
import { fieldErrors } from '../apollo/errors';

// A mutation's errors placed on the form that sent it: under the input each names (or the
// input holding the element it names: `tags.0` goes under `tags`), and the rest (no field, or
// one this form has no input for, like `customerId` or a FORBIDDEN `Mutation.createOrder`) above
// the submit button. A message starts with the path of its field, which an end user needs not
// see: it is cut off, except for an element's, whose index says which one is wrong.
export type PlacedErrors = { byField: Partial<Record<string, string>>; general: string[] };

export function placeErrors(error: unknown, inputNames: readonly string[]): PlacedErrors {
  const { byField, general } = fieldErrors(error);
  const placed: PlacedErrors = { byField: {}, general: [...general] };
  for (const [field, message] of Object.entries(byField)) {
    const input = inputNames.find((name) => field === name || field.startsWith(`${name}.`));
    if (!input) placed.general.push(withoutFieldPath(message, field));
    else placed.byField[input] ??= field === input ? withoutFieldPath(message, field) : message;
  }
  return placed;
}

// The server's message without the field path it starts with, which an end user need not see.
export function withoutFieldPath(message: string, field: string) {
  const prefix = [`input.${field}: `, `${field}: `].find((candidate) => message.startsWith(candidate));
  return prefix ? message.slice(prefix.length) : message;
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

// A select's options: each value, shown by its label.
export function Options<Value extends string>({ values, labels }: { values: readonly Value[]; labels: Record<Value, string> }) {
  return values.map((value) => (
    <option key={value} value={value}>
      {labels[value]}
    </option>
  ));
}
