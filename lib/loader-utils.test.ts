import DataLoader from 'dataloader';
import { allLoaded } from './loader-utils';

describe('allLoaded', () => {
  // A loader whose batch fails for one key, as a database statement can fail for one batch.
  const loader = () =>
    new DataLoader<string, string | null>(async (keys) => keys.map((key) => (key === 'broken' ? new Error('connection lost') : key === 'gone' ? null : key.toUpperCase())));

  it('passes every result through, missing rows included, when every key loaded', async () => {
    expect(allLoaded(await loader().loadMany(['a', 'gone', 'b']))).toEqual(['A', null, 'B']);
  });

  it('fails with the error of a key that did not load instead of leaving it out', async () => {
    expect(() => allLoaded([1, new Error('first'), new Error('second')])).toThrow('first');
    const results = await loader().loadMany(['a', 'broken']);
    expect(() => allLoaded(results)).toThrow('connection lost');
  });
});
