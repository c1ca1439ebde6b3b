import { Section, type SectionProps } from './Section';
import { formatDate, formatMoney } from './format';

// The marketing service's parts of the customer: segments, campaigns and RFM analysis.

export function SegmentsSection({ customer }: SectionProps) {
  const { segments } = customer;
  return (
    <Section testId="section-segments" title="Segments" customer={customer} field="segments" data={segments}>
      {(list) =>
        list.length === 0 ? (
          <p className="empty">In no segment.</p>
        ) : (
          <ul className="chips">
            {list.map((segment) => (
              <li key={segment.id}>{segment.name}</li>
            ))}
          </ul>
        )
      }
    </Section>
  );
}

export function CampaignsSection({ customer }: SectionProps) {
  const { campaigns } = customer;
  return (
    <Section testId="section-campaigns" title="Campaigns" customer={customer} field="campaigns" data={campaigns}>
      {(list) =>
        list.length === 0 ? (
          <p className="empty">In no campaign.</p>
        ) : (
          <ul className="plain">
            {list.map((campaign) => (
              <li key={campaign.id}>
                {campaign.name} <span className="badge">{campaign.status}</span>
              </li>
            ))}
          </ul>
        )
      }
    </Section>
  );
}

export function RfmSection({ customer }: SectionProps) {
  const { rfm } = customer;
  return (
    <Section testId="section-rfm" title="RFM analysis" customer={customer} field="rfm" data={rfm}>
      {(analyses) =>
        analyses.length === 0 ? (
          <p className="empty">No orders to analyse.</p>
        ) : (
          <ul className="plain rfm">
            {analyses.map((analysis) => (
              <li key={analysis.currency}>
                <strong className="rfm-score" title="Recency, frequency and monetary scores">
                  {analysis.score}
                </strong>
                <span>{analysis.currency}</span>
                <dl>
                  <dt>Recency</dt>
                  <dd title={`Last order ${formatDate(analysis.lastOrderAt)}`}>{analysis.recencyDays} days ({analysis.recencyScore})</dd>
                  <dt>Frequency</dt>
                  <dd>
                    {analysis.frequency} {analysis.frequency === 1 ? "order" : "orders"} ({analysis.frequencyScore})
                  </dd>
                  <dt>Monetary</dt>
                  <dd>
                    {formatMoney(analysis.monetary)} ({analysis.monetaryScore})
                  </dd>
                </dl>
              </li>
            ))}
          </ul>
        )
      }
    </Section>
  );
}
