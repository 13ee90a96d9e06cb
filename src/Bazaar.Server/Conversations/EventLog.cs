using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Conversations;

/// <summary>Retention and retries for the event log (the inbound_updates table).</summary>
public sealed class EventLog(BazaarDb db, WriteGate gate, IOptions<ConversationOptions> options, TimeProvider clock)
{
    public const int BatchSize = Retention.BatchSize;

    /// <summary>Deletes finished updates older than Conversations:EventLogRetentionDays, a batch per turn at the write gate.</summary>
    public async Task<int> DeleteOldUpdatesAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-Math.Max(1, options.Value.EventLogRetentionDays));
        // Short turns, so the inbox writer is not held up behind a large delete on SQLite.
        return await Retention.DeleteInBatchesAsync(db.InboundUpdates,
            u => u.ReceivedAt < cutoff && u.Status != UpdateStatus.Received && u.Status != UpdateStatus.Processing, ct, gate);
    }

    /// <summary>Deletes conversation steps past their expiry and rate-limit windows older than an hour.</summary>
    public async Task<int> DeleteExpiredStateAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var staleWindow = clock.GetUtcNow().ToUnixTimeMilliseconds() - 3_600_000;
        using (await gate.EnterAsync(ct))
        {
            var n = await db.ConversationStates.Where(s => s.ExpiresAt <= now).ExecuteDeleteAsync(ct);
            await db.RateLimits.Where(r => r.WindowStart < staleWindow).ExecuteDeleteAsync(ct);
            return n;
        }
    }

    /// <summary>Puts a failed update back in the inbox. False when there is no failed update with that id.</summary>
    public async Task<bool> RetryAsync(long id, CancellationToken ct)
    {
        using (await gate.EnterAsync(ct))
        {
            return await db.InboundUpdates.Where(u => u.Id == id && u.Status == UpdateStatus.Failed)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UpdateStatus.Received).SetProperty(u => u.Error, (string?)null)
                    .SetProperty(u => u.ProcessedAt, (DateTime?)null), ct) == 1;
        }
    }
}
