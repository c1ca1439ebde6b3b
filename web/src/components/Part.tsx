import type { ReactNode } from 'react';
import type { GraphQLFormattedError } from 'graphql';
import { partState, unavailableService, type PathSegment } from '../apollo/errors';

type PartProps = {
  errors: readonly GraphQLFormattedError[];
  path: readonly PathSegment[];
  // What to show when the part came back; not called when it did not.
  children: ReactNode | (() => ReactNode);
  // A section (a block with a title) rather than a value inside a line of text.
  block?: boolean;
};

// A part of a partial answer: its value, or why it is missing. The role may not read it
// ("hidden"), its service did not answer ("unavailable"), or it failed, and the rest of the
// page renders either way.
export function Part({ errors, path, children, block }: PartProps) {
  const state = partState(errors, path);
  if (!state) return <>{typeof children === 'function' ? children() : children}</>;
  const service = unavailableService(errors, path);
  const label = state === 'hidden' ? 'hidden' : state === 'unavailable' ? `unavailable${service ? ` (${service} service)` : ''}` : 'could not be loaded';
  const title = state === 'hidden' ? 'Your role may not see this' : errors.find((error) => error.path && path.every((segment, index) => error.path![index] === segment))?.message;
  const Tag = block ? 'div' : 'span';
  return (
    <Tag className={`part-missing part-${state}`} data-part-state={state} title={title}>
      {label}
    </Tag>
  );
}
