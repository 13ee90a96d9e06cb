using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Jobs;

/// <summary>Deletes completed and cancelled jobs older than Jobs:RetentionDays, a batch at a time.</summary>
internal sealed class JobCleanupHandler(BazaarDb db, TimeProvider clock, IOptions<JobsOptions> options) : IJobHandler
{
    public const string Type = "jobs.cleanup";
    public const int BatchSize = 1000;

    public async Task HandleAsync(JobContext job, CancellationToken ct) => await DeleteOldAsync(ct);

    public async Task<int> DeleteOldAsync(CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime.AddDays(-options.Value.RetentionDays);
        var total = 0;
        while (true)
        {
            var batch = db.Jobs.Where(j => (j.Status == JobStatus.Completed || j.Status == JobStatus.Cancelled) && j.FinishedAt < cutoff)
                .OrderBy(j => j.Id).Select(j => j.Id).Take(BatchSize);
            var n = await db.Jobs.Where(j => batch.Contains(j.Id)).ExecuteDeleteAsync(ct);
            total += n;
            if (n < BatchSize) return total;
        }
    }
}
