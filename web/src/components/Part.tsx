import type { ReactNode } from 'react';
import { useMissingParts, type MissingPart } from '../apollo/missing-parts';

type PartProps = {
  // The entity the field belongs to, as the query returned it (with __typename and id).
  of: object | null | undefined;
  field: string;
  // What to show when the field came back.
  children: ReactNode;
  // A section (a block with a title) rather than a value inside a line of text.
  block?: boolean;
};

// A field of a partial answer: its value, or why it is missing. The role may not read it
// ("hidden"), its service did not answer ("unavailable"), or it failed; the rest of the page
// renders either way.
export function Part({ of, field, children, block }: PartProps) {
  const missing = useMissingParts().of(of, field);
  return missing ? <MissingNotice missing={missing} block={block} /> : <>{children}</>;
}

export function MissingNotice({ missing, block }: { missing: MissingPart; block?: boolean }) {
  const label = missing.state === 'hidden' ? 'hidden' : missing.state === 'unavailable' ? `unavailable${missing.service ? ` (${missing.service} service)` : ''}` : 'could not be loaded';
  const Tag = block ? 'div' : 'span';
  return (
    <Tag className={`part-missing part-${missing.state}`} data-part-state={missing.state} title={missing.state === 'hidden' ? 'Your role may not see this' : missing.message}>
      {label}
    </Tag>
  );
}
