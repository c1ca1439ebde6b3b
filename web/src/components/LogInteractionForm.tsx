import { useState, type FormEvent } from 'react';
import { useMutation } from '@apollo/client/react';
import { graphql } from '../generated';
import type { InteractionType } from '../generated/graphql';
import { FormErrors, FormField, noErrors, Options, placeErrors, type PlacedErrors } from './FormField';
import './forms.css';

const LogInteraction = graphql(`
  mutation LogInteraction($input: LogInteractionInput!) {
    logInteraction(input: $input) {
      id
      type
      subject
      body
      occurredAt
    }
  }
`);

const interactionTypeLabels = { CALL: 'Call', EMAIL: 'Email', MEETING: 'Meeting', NOTE: 'Note' } satisfies Record<InteractionType, string>;
const interactionTypes = Object.keys(interactionTypeLabels) as InteractionType[];
const inputNames = ['type', 'subject', 'body'];

export function LogInteractionForm({ customerId, onDone }: { customerId: string; onDone?: () => void }) {
  const [type, setType] = useState<InteractionType>('NOTE');
  const [subject, setSubject] = useState('');
  const [body, setBody] = useState('');
  const [errors, setErrors] = useState<PlacedErrors>(noErrors);
  const [logInteraction, { loading }] = useMutation(LogInteraction, {
    // The new entry belongs at the top of the customer's timeline, whose pages the cache cannot
    // extend by itself: dropping them makes the customer page read the timeline again.
    update(cache, { data }) {
      if (!data?.logInteraction) return;
      cache.evict({ id: cache.identify({ __typename: 'Customer', id: customerId }), fieldName: 'interactions' });
      cache.gc();
    },
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const { data, error } = await logInteraction({ variables: { input: { customerId, type, subject, body: body || null } } });
    setErrors(data?.logInteraction ? noErrors : placeErrors(error ?? new Error('The interaction was not logged'), inputNames));
    if (!data?.logInteraction) return;
    setSubject('');
    setBody('');
    onDone?.();
  }

  return (
    <form className="inline-form" data-testid="log-interaction-form" onSubmit={submit} noValidate>
      <div className="form-row">
        <FormField label="Type" name="type" error={errors.byField.type}>
          <select name="type" value={type} onChange={(event) => setType(event.target.value as InteractionType)}>
            <Options values={interactionTypes} labels={interactionTypeLabels} />
          </select>
        </FormField>
        <FormField label="Subject" name="subject" error={errors.byField.subject}>
          <input name="subject" value={subject} onChange={(event) => setSubject(event.target.value)} />
        </FormField>
      </div>
      <FormField label="Notes" name="body" error={errors.byField.body}>
        <textarea name="body" rows={3} value={body} onChange={(event) => setBody(event.target.value)} />
      </FormField>
      <FormErrors messages={errors.general} />
      <div className="form-actions">
        <button type="submit" data-testid="log-interaction" disabled={loading}>
          Log interaction
        </button>
      </div>
    </form>
  );
}
