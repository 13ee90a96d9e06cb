using Bazaar.Server.Jobs;

namespace Bazaar.Server.Payments;

/// <summary>One refund attempt of a Stars payment.</summary>
public sealed record StarsRefund(long PaymentId, int Attempt);

/// <summary>
/// Queued with each refund attempt, delayed: if the request that started it died or Telegram did not answer,
/// this asks Telegram again until it answers, and compensates after the last attempt. Finds nothing to do when
/// the request already finished the attempt.
/// </summary>
public sealed class StarsRefundJob(StarsPayments stars) : JobHandler<StarsRefund>
{
    public const string JobType = "payments.stars-refund";

    public static string KeyFor(long paymentId, int attempt) => $"{JobType}:{paymentId}:{attempt}";

    /// <summary>Adds the job to the caller's unit of work.</summary>
    public static Job Enqueue(JobQueue queue, long paymentId, int attempt, TimeSpan delay) =>
        queue.Enqueue(JobType, new StarsRefund(paymentId, attempt), new EnqueueOptions { Delay = delay, IdempotencyKey = KeyFor(paymentId, attempt) });

    public override async Task HandleAsync(StarsRefund job, JobContext ctx, CancellationToken ct)
    {
        if (!await stars.RecoverRefundAsync(job.PaymentId, job.Attempt, ctx.Attempt >= ctx.MaxAttempts, ct))
            throw new HttpRequestException($"Telegram did not answer the refund of payment {job.PaymentId}; retrying.");
    }
}
