using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Jobs;

/// <summary>Deletes completed and cancelled jobs older than Jobs:RetentionDays, a batch at a time.</summary>
internal sealed class JobCleanupHandler(BazaarDb db, TimeProvider clock, IOptions<JobsOptions> options) : IJobHandler
{
    public const string Type = "jobs.cleanup";

    public async Task HandleAsync(JobContext job, CancellationToken ct) => await DeleteOldAsync(ct);

    public async Task<int> DeleteOldAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.RetentionDays);
        return await Retention.DeleteInBatchesAsync(db.Jobs,
            j => (j.Status == JobStatus.Completed || j.Status == JobStatus.Cancelled) && j.FinishedAt < cutoff, ct);
    }
}
