import { Section, type SectionProps } from './Section';
import { countOf, formatDateTime } from './format';

type Props = SectionProps & { onShowMore(): void; loadingMore: boolean };

// The customer's timeline, newest first; older entries are fetched a page at a time.
export function InteractionsTimeline({ customer, onShowMore, loadingMore }: Props) {
  const { interactions } = customer;
  return (
    <Section testId="section-interactions" title={`Interactions (${countOf(interactions.nodes.length, interactions.totalCount)})`} customer={customer} field="interactions" data={interactions}>
      {({ nodes, pageInfo }) => (
        <>
          {nodes.length === 0 && <p className="empty">Nothing logged yet.</p>}
          <ol className="timeline">
            {nodes.map((interaction) => (
              <li key={interaction.id} data-testid="interaction">
                <span className={`interaction-type type-${interaction.type.toLowerCase()}`}>{interaction.type}</span>
                <time dateTime={interaction.occurredAt}>{formatDateTime(interaction.occurredAt)}</time>
                <strong>{interaction.subject}</strong>
                {interaction.body && <p>{interaction.body}</p>}
              </li>
            ))}
          </ol>
          {pageInfo.hasNextPage && (
            <button type="button" onClick={onShowMore} disabled={loadingMore} data-testid="interactions-more">
              {loadingMore ? 'Loading…' : 'Show more'}
            </button>
          )}
        </>
      )}
    </Section>
  );
}
