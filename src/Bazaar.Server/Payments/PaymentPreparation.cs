using System.Net;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Payments;

/// <summary>A PENDING payment to ready at its provider, and the chat to send the link or address to.</summary>
public sealed record PreparePayment(long PaymentId, string Channel, string ChatId, long? UserId, string Language)
{
    public ChatTarget To => new(Channel, ChatId, UserId);
}

/// <summary>
/// Readies a payment the bot created without calling out (it runs inside the update processor's transaction):
/// creates the Stripe Checkout Session, or takes the exchange rate and opens the crypto address. The outside call
/// runs outside any transaction; then one short transaction stores the provider's ids and queues the messages.
/// Provider failures are retried by the job queue; after the last attempt, or a failure retrying cannot fix,
/// the payment turns FAILED and the user is told what to do next.
/// </summary>
public sealed class PaymentPreparation(BazaarDb db, PaymentCreator creator, PaymentService payments, StripePayments stripe, RateService rates,
    Outbox outbox, WriteGate gate, IOptions<PaymentsOptions> options, ILogger<PaymentPreparation> log) : JobHandler<PreparePayment>
{
    public const string JobType = "payments.prepare";

    public static string KeyFor(long paymentId) => $"{JobType}:{paymentId}";

    /// <summary>Adds the job to the caller's unit of work (one job per payment).</summary>
    public static Job Enqueue(JobQueue queue, Payment p, ChatTarget chat, string language) =>
        queue.Enqueue(JobType, new PreparePayment(p.Id, chat.Channel, chat.ChatId, chat.UserId, language),
            new EnqueueOptions { IdempotencyKey = KeyFor(p.Id) });

    public override async Task HandleAsync(PreparePayment job, JobContext ctx, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == job.PaymentId, ct);
        // Prepared by an earlier run, or ended meanwhile: nothing to do, nothing to send twice.
        if (p is null || !PaymentCreator.NeedsPreparation(p)) return;
        if (!options.Value.IsEnabled(p.Method))
            throw new JobPermanentFailure($"The {p.Method.WireName()} method is no longer configured.");
        try
        {
            if (p.Method == PaymentMethod.Stripe) await PrepareStripeAsync(p, job, ct);
            else await PrepareCryptoAsync(p, job, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && IsPermanent(e))
        {
            // The queue fails the job at once and OnFailedAsync ends the payment.
            throw e as JobPermanentFailure ?? new JobPermanentFailure(e.Message, e);
        }
    }

    /// <summary>
    /// The job ended FAILED (its last attempt failed, a failure retrying cannot fix, or the worker died on the last
    /// attempt): the unprepared payment turns FAILED and the user is told, once, in the queue's transaction.
    /// </summary>
    public override async Task OnFailedAsync(PreparePayment job, JobContext ctx, string error, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == job.PaymentId, ct);
        if (p is null) return;
        log.LogWarning("Payment {Id} ({Method}) could not be prepared; giving up after attempt {Attempt}: {Error}", p.Id, p.Method, ctx.Attempt, error);
        if (await EndUnpreparedAsync(p.Id, PaymentStatus.Failed, $"Not prepared: {error}", ct))
            outbox.SendText(job.To, FailureText(p, job.Language));
    }

    /// <summary>An operator cancelled the queued job: the payment is cancelled and the user told, in the cancel's transaction.</summary>
    public override async Task OnCancelledAsync(PreparePayment job, JobContext ctx, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == job.PaymentId, ct);
        if (p is null) return;
        if (await EndUnpreparedAsync(p.Id, PaymentStatus.Cancelled, "Preparation cancelled by an operator", ct))
            outbox.SendText(job.To, FailureText(p, job.Language));
    }

    private async Task PrepareStripeAsync(Payment p, PreparePayment job, CancellationToken ct)
    {
        // Outside any transaction; Stripe's idempotency key (per payment) makes a repeat return the same session.
        var session = await stripe.CreateSessionAsync(p, PaymentCreator.Description(p), networkRetries: false, ct);
        await db.InShortTransactionAsync(gate, async () =>
        {
            var n = await db.Payments.Where(x => x.Id == p.Id && x.Status == PaymentStatus.Pending && x.PayUrl == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.ProviderPaymentId, session.Id).SetProperty(x => x.PayUrl, session.Url), ct);
            if (n == 1) DepositBot.SendPayLink(outbox, job.To, job.Language, p, session.Url);
        }, ct);
    }

    private async Task PrepareCryptoAsync(Payment p, PreparePayment job, CancellationToken ct)
    {
        // The cached rate, or the rate API when the cache is cold: outside any transaction.
        var rate = await rates.GetAsync(p.Method, p.Currency, ct)
            ?? throw new HttpRequestException($"No {p.Method.WireName()} rate in {p.Currency} from the rate API.");
        await db.InShortTransactionAsync(gate, async () =>
        {
            var tracked = await db.Payments.SingleAsync(x => x.Id == p.Id, ct);
            if (!PaymentCreator.NeedsPreparation(tracked)) return;
            // An order whose reservation ended while the job waited gets no address: its quote could not be held.
            if (tracked.Purpose != PaymentPurpose.WalletTopup && await payments.FulfilmentFor(tracked.Purpose)!.CheckAvailableAsync(tracked, ct) is { } code)
                throw new JobPermanentFailure($"The {tracked.Purpose} {tracked.PurposeRef} cannot be paid now ({code}).");
            // A second run racing this one fails on the deposit's unique payment id and rolls back.
            var deposit = await creator.QuoteAsync(tracked, rate, ct);
            DepositBot.SendCryptoInstructions(outbox, job.To, job.Language, tracked, deposit);
        }, ct);
    }

    /// <summary>PENDING and not yet prepared → <paramref name="status"/>; a payment another run prepared stays as it is.</summary>
    private async Task<bool> EndUnpreparedAsync(long id, PaymentStatus status, string reason, CancellationToken ct)
    {
        var ended = await db.Payments.Where(x => x.Id == id && x.Status == PaymentStatus.Pending && x.PayUrl == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, status).SetProperty(x => x.StatusReason, reason.Length <= 500 ? reason : reason[..500]), ct) == 1;
        if (ended) await payments.CountAsync(id, status, ct);
        return ended;
    }

    private static string FailureText(Payment p, string language) =>
        DepositBot.Format(language, p.Purpose == PaymentPurpose.WalletTopup ? PaymentTexts.PreparationFailed : PaymentTexts.OrderPreparationFailed,
            WalletScreens.MethodName(language, p.Method), Currencies.Format(p.Amount, p.Currency));

    /// <summary>Retrying cannot help: Stripe refused the request itself (bad request, bad key), not an outage.</summary>
    private static bool IsPermanent(Exception e) => e switch
    {
        JobPermanentFailure => true,
        Stripe.StripeException s => (int)s.HttpStatusCode is >= 400 and < 500 && s.HttpStatusCode is not (HttpStatusCode.Conflict or HttpStatusCode.TooManyRequests),
        _ => false,
    };
}
