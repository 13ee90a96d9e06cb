using Bazaar.Server.Jobs;

namespace Bazaar.Server.Channels;

/// <summary>Hourly: deletes finished outbox rows older than Outbox:RetentionDays.</summary>
internal sealed class OutboxCleanupJob(OutboxSender sender) : IJobHandler
{
    public const string Type = "outbox.cleanup";

    public async Task HandleAsync(JobContext job, CancellationToken ct) => await sender.CleanUpAsync(ct);
}
