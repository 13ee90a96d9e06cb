using System.Linq.Expressions;
using Bazaar.Server.Conversations;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Data;

/// <summary>A row with a growing numeric id, so old rows can be deleted oldest first in batches.</summary>
public interface IHasId
{
    long Id { get; }
}

/// <summary>The one retention delete: outbox, event log and jobs clean-ups all go through it.</summary>
public static class Retention
{
    public const int BatchSize = 1000;

    /// <summary>
    /// Deletes the rows <paramref name="old"/> selects, oldest id first, a batch per statement so no one delete holds
    /// the writer for long. With a <paramref name="gate"/> each batch takes its own turn (the inbox writer gets in
    /// between); <paramref name="beforeDelete"/> removes a batch's dependent rows first. The delete re-checks
    /// <paramref name="old"/>, so a row that changed after the batch was read (a retried job) stays.
    /// </summary>
    public static async Task<int> DeleteInBatchesAsync<T>(IQueryable<T> rows, Expression<Func<T, bool>> old, CancellationToken ct,
        WriteGate? gate = null, Func<List<long>, CancellationToken, Task>? beforeDelete = null)
        where T : class, IHasId
    {
        var total = 0;
        while (true)
        {
            var turn = gate is null ? default : await gate.EnterAsync(ct);
            using (turn)
            {
                var ids = await rows.Where(old).OrderBy(r => r.Id).Select(r => r.Id).Take(BatchSize).ToListAsync(ct);
                if (ids.Count == 0) return total;
                if (beforeDelete is not null) await beforeDelete(ids, ct);
                total += await rows.Where(old).Where(r => ids.Contains(r.Id)).ExecuteDeleteAsync(ct);
                if (ids.Count < BatchSize) return total;
            }
        }
    }
}
