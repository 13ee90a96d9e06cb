using Bazaar.Server.Jobs;

namespace Bazaar.Server.Conversations;

/// <summary>Hourly: deletes finished updates past Conversations:EventLogRetentionDays from the event log.</summary>
internal sealed class EventLogCleanupJob(EventLog log) : IJobHandler
{
    public const string Type = "conversations.eventlog-cleanup";

    public async Task HandleAsync(JobContext job, CancellationToken ct) => await log.DeleteOldUpdatesAsync(ct);
}

/// <summary>Hourly: deletes expired conversation steps (Conversations:StateTtlMinutes) and stale rate-limit windows.</summary>
internal sealed class ConversationStateCleanupJob(EventLog log) : IJobHandler
{
    public const string Type = "conversations.state-cleanup";

    public async Task HandleAsync(JobContext job, CancellationToken ct) => await log.DeleteExpiredStateAsync(ct);
}
