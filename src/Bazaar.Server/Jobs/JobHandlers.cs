using System.Text.Json;

namespace Bazaar.Server.Jobs;

/// <summary>
/// Runs the jobs of one type. Register with <c>services.AddJobHandler&lt;THandler&gt;("type")</c>; a handler is
/// resolved in a fresh DI scope per attempt, so it may take a scoped BazaarDb. Throw to retry with backoff,
/// throw <see cref="JobPermanentFailure"/> to fail at once.
/// </summary>
public interface IJobHandler
{
    Task HandleAsync(JobContext job, CancellationToken ct);

    /// <summary>
    /// What cancelling a queued job means for the type (a refund, say). Runs in the cancelling request's
    /// scope and transaction: changes saved to its BazaarDb commit together with the cancellation.
    /// </summary>
    Task OnCancelledAsync(JobContext job, CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// What a job ending FAILED means for the type (mark its payment failed, tell the user, say). Runs once, in a
    /// fresh scope whose BazaarDb transaction also marks the job FAILED: after the last attempt, after a
    /// <see cref="JobPermanentFailure"/>, and when the worker's lease expired on the last attempt (no handler ran
    /// to the end then). Should not call out of process; if it throws, the job still fails, without its changes.
    /// </summary>
    Task OnFailedAsync(JobContext job, string error, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>A handler whose payload is a JSON document of <typeparamref name="TPayload"/>.</summary>
public abstract class JobHandler<TPayload> : IJobHandler
{
    public abstract Task HandleAsync(TPayload payload, JobContext job, CancellationToken ct);

    public virtual Task OnCancelledAsync(TPayload payload, JobContext job, CancellationToken ct) => Task.CompletedTask;

    public virtual Task OnFailedAsync(TPayload payload, JobContext job, string error, CancellationToken ct) => Task.CompletedTask;

    Task IJobHandler.HandleAsync(JobContext job, CancellationToken ct) => HandleAsync(job.Read<TPayload>(), job, ct);

    Task IJobHandler.OnCancelledAsync(JobContext job, CancellationToken ct) => OnCancelledAsync(job.Read<TPayload>(), job, ct);

    Task IJobHandler.OnFailedAsync(JobContext job, string error, CancellationToken ct) => OnFailedAsync(job.Read<TPayload>(), job, error, ct);
}

/// <summary>The job being handled.</summary>
public sealed record JobContext(long Id, string Type, string Payload, int Attempt, int MaxAttempts, DateTime CreatedAt)
{
    public T Read<T>() => JsonSerializer.Deserialize<T>(Payload, JobQueue.Json)
        ?? throw new JobPermanentFailure($"Job {Id} has an empty payload.");

    internal static JobContext Of(Job j) => new(j.Id, j.Type, j.Payload, j.Attempts, j.MaxAttempts, j.CreatedAt);
}

/// <summary>Thrown by a handler when retrying cannot help (bad input, say): the job fails at once.</summary>
public class JobPermanentFailure(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A registered job type and its handler class.</summary>
public sealed record JobHandlerRegistration(string Type, Type HandlerType);

/// <summary>The job types this process can run.</summary>
public sealed class JobHandlerRegistry
{
    public IReadOnlyList<string> Types { get; }

    public JobHandlerRegistry(IEnumerable<JobHandlerRegistration> registrations)
    {
        Types = registrations.Select(r => r.Type).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    public bool Handles(string type) => Types.Contains(type, StringComparer.Ordinal);
}
