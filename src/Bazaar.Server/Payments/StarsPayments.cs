using System.Globalization;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Requests;
using Telegram.Bot.Types.Payments;

namespace Bazaar.Server.Payments;

public sealed record PreCheckoutResult(bool Ok, string? ErrorCode, string? ErrorMessage);

/// <summary>Pending: Telegram did not answer; the payment stays REFUNDING and the recovery job finishes it.</summary>
public enum RefundOutcome { Refunded, NotFound, NotRefundable, InsufficientFunds, ProviderFailed, Pending }

/// <summary>
/// Telegram Stars: invoices in XTR with an empty provider token, the pre-checkout re-validation, completion keyed
/// by telegram_payment_charge_id, and operator refunds. The bot router calls these for pre_checkout_query and
/// successful_payment.
/// </summary>
public sealed class StarsPayments(BazaarDb db, PaymentService payments, ITelegramBotClient bot, Outbox outbox, JobQueue jobs, WriteGate gate,
    IOptions<PaymentsOptions> options, TimeProvider clock, ILogger<StarsPayments> log)
{
    public const string PayloadPrefix = "pay:";

    public static string PayloadFor(long paymentId) => PayloadPrefix + paymentId.ToString(CultureInfo.InvariantCulture);

    public static long? PaymentIdOf(string? payload) =>
        payload is not null && payload.StartsWith(PayloadPrefix, StringComparison.Ordinal) &&
        long.TryParse(payload.AsSpan(PayloadPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    /// <summary>Stars for an amount of the shop currency, rounded up.</summary>
    public long StarsFor(long amountMinor, string currency) =>
        currency.Equals("XTR", StringComparison.OrdinalIgnoreCase)
            ? amountMinor
            : (long)decimal.Ceiling(Currencies.ToMajor(amountMinor, currency) * options.Value.Stars.StarsPerUnit);

    public Task<string> CreateInvoiceLinkAsync(Payment p, string title, string description, CancellationToken ct) =>
        bot.CreateInvoiceLink(title, description, PayloadFor(p.Id), "XTR", [new LabeledPrice(title, checked((int)p.PayAmount))],
            providerToken: "", cancellationToken: ct);

    /// <summary>Puts a sendInvoice into the outbox (saved with the caller's SaveChanges).</summary>
    public OutboxMessage EnqueueInvoice(ChatTarget to, Payment p, string title, string description) =>
        outbox.Enqueue(to, new SendInvoiceRequest
        {
            ChatId = long.TryParse(to.ChatId, out var id) ? id : to.ChatId,
            Title = title, Description = description, Payload = PayloadFor(p.Id), Currency = "XTR", ProviderToken = "",
            Prices = [new LabeledPrice(title, checked((int)p.PayAmount))],
        });

    /// <summary>Answers pre_checkout_query: the payment is still pending, the price unchanged and the purpose still available.</summary>
    public async Task<PreCheckoutResult> ValidatePreCheckoutAsync(string invoicePayload, long totalAmount, string currency, CancellationToken ct)
    {
        var id = PaymentIdOf(invoicePayload);
        var p = id is null ? null : await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.Method == PaymentMethod.Stars, ct);
        var lang = p is null ? null : await db.Users.Where(u => u.Id == p.UserId).Select(u => u.LanguageCode).FirstOrDefaultAsync(ct);
        var l = Conversations.Languages.FromCode(lang);
        if (p is null || p.Status != PaymentStatus.Pending) return new(false, "not_pending", PaymentTexts.NotPending.In(l));
        if (!currency.Equals("XTR", StringComparison.Ordinal) || totalAmount != p.PayAmount) return new(false, "price_changed", PaymentTexts.PriceChanged.In(l));
        var fulfilment = payments.FulfilmentFor(p.Purpose);
        if (fulfilment is null || await fulfilment.CheckAvailableAsync(p, ct) is not null) return new(false, "unavailable", PaymentTexts.Unavailable.In(l));
        return new(true, null, null);
    }

    /// <summary>successful_payment: completes the payment once, keyed by the charge id.</summary>
    public async Task<CompleteResult> CompleteStarsPaymentAsync(string telegramPaymentChargeId, string invoicePayload, long totalAmount, CancellationToken ct)
    {
        if (PaymentIdOf(invoicePayload) is not { } id) return new(CompleteOutcome.NotFound);
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.Method == PaymentMethod.Stars, ct);
        if (p is null) return new(CompleteOutcome.NotFound);
        if (totalAmount != p.PayAmount)
            log.LogWarning("Stars payment {Id} paid {Paid} stars, expected {Expected}", id, totalAmount, p.PayAmount);
        return await payments.CompleteAsync(id, telegramPaymentChargeId, ("stars", telegramPaymentChargeId), null, null, ct);
    }

    /// <summary>The ledger reference of a refund attempt's reversal; its compensation adds ":undo".</summary>
    public static string RefundRef(long paymentId, int attempt) =>
        $"payment:{paymentId.ToString(CultureInfo.InvariantCulture)}:refund:{attempt.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// An operator refund, without holding a transaction over Telegram's answer. One short transaction turns the
    /// payment COMPLETED → REFUNDING (so a racing request gets NotRefundable), reverses the fulfilment through the
    /// ledger under this attempt's reference and queues a delayed recovery job. Then refundStarPayment is called
    /// with no transaction open. Success turns it REFUNDED; a refusal re-credits the wallet and returns it to
    /// COMPLETED; a network error or 5xx leaves it REFUNDING for the recovery job (<see cref="StarsRefundJob"/>).
    /// </summary>
    public async Task<RefundOutcome> RefundAsync(long paymentId, string by, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == paymentId, ct);
        if (p is null) return RefundOutcome.NotFound;
        if (p.Method != PaymentMethod.Stars || p.Status != PaymentStatus.Completed || p.ProviderPaymentId is null ||
            payments.FulfilmentFor(p.Purpose) is not { } fulfilment)
            return RefundOutcome.NotRefundable;
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == p.UserId, ct);
        if (!long.TryParse(user.ExternalId, out _)) return RefundOutcome.NotRefundable;

        var (outcome, attempt, jobId) = await db.InShortTransactionAsync(gate, async () =>
        {
            var n = await db.Payments.Where(x => x.Id == paymentId && x.Status == PaymentStatus.Completed)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, PaymentStatus.Refunding).SetProperty(x => x.DecidedBy, by), ct);
            if (n == 0) return ((RefundOutcome.NotRefundable, 0, 0L), false);
            var attempt = await CurrentAttemptAsync(paymentId, ct) + 1;
            var reversed = await fulfilment.ReverseAsync(p, p.Amount, p.Currency, RefundRef(paymentId, attempt), ct);
            if (!reversed.Ok)
                return ((reversed.Error == PostError.InsufficientFunds ? RefundOutcome.InsufficientFunds : RefundOutcome.NotRefundable, 0, 0L), false);
            await payments.ReversedAsync(p, RefundRef(paymentId, attempt), ct);
            var job = StarsRefundJob.Enqueue(jobs, paymentId, attempt, TimeSpan.FromSeconds(Math.Max(1, options.Value.Stars.RefundRecoverySeconds)));
            await db.SaveChangesAsync(ct);
            return ((RefundOutcome.Refunded, attempt, job.Id), true);
        }, ct);
        if (outcome != RefundOutcome.Refunded) return outcome;

        var answer = await CallTelegramAsync(p, user.ExternalId, ct);
        switch (answer)
        {
            case TelegramAnswer.Refunded:
                await FinishAsync(p, attempt, ct);
                await jobs.CancelAsync(jobId, ct);
                return RefundOutcome.Refunded;
            case TelegramAnswer.Refused:
                await CompensateAsync(p, attempt, ct);
                await jobs.CancelAsync(jobId, ct);
                return RefundOutcome.ProviderFailed;
            default:
                return RefundOutcome.Pending;
        }
    }

    /// <summary>
    /// The recovery job's run for one attempt: asks Telegram again while the payment is still REFUNDING in that
    /// attempt; after the last attempt, a failure compensates. Returns false when Telegram still could not be reached.
    /// </summary>
    public async Task<bool> RecoverRefundAsync(long paymentId, int attempt, bool lastAttempt, CancellationToken ct)
    {
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == paymentId, ct);
        // Finished by the request that started it, or a stale attempt: nothing to do.
        if (p is null || p.Status != PaymentStatus.Refunding || p.ProviderPaymentId is null ||
            await CurrentAttemptAsync(paymentId, ct) != attempt)
            return true;
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == p.UserId, ct);
        var answer = await CallTelegramAsync(p, user.ExternalId, ct);
        if (answer == TelegramAnswer.Refunded) await FinishAsync(p, attempt, ct);
        else if (answer == TelegramAnswer.Refused || lastAttempt) await CompensateAsync(p, attempt, ct);
        else return false;
        return true;
    }

    private enum TelegramAnswer { Refunded, Refused, Unreachable }

    private async Task<TelegramAnswer> CallTelegramAsync(Payment p, string externalId, CancellationToken ct)
    {
        try
        {
            await bot.RefundStarPayment(long.Parse(externalId, CultureInfo.InvariantCulture), p.ProviderPaymentId!, ct);
            return TelegramAnswer.Refunded;
        }
        catch (global::Telegram.Bot.Exceptions.ApiRequestException e) when (e.Message.Contains("CHARGE_ALREADY_REFUNDED", StringComparison.OrdinalIgnoreCase))
        {
            // A repeat after an answer that got lost: the stars are back with the user.
            return TelegramAnswer.Refunded;
        }
        catch (global::Telegram.Bot.Exceptions.ApiRequestException e) when (e.ErrorCode is >= 400 and < 500 and not 429)
        {
            log.LogWarning(e, "Telegram refused to refund payment {Id}", p.Id);
            return TelegramAnswer.Refused;
        }
        catch (Exception e) when (!ct.IsCancellationRequested &&
            e is global::Telegram.Bot.Exceptions.RequestException or HttpRequestException or TaskCanceledException)
        {
            log.LogWarning(e, "Telegram did not answer the refund of payment {Id}; the recovery job retries", p.Id);
            return TelegramAnswer.Unreachable;
        }
    }

    /// <summary>REFUNDING → REFUNDED for this attempt, and the user told.</summary>
    private Task FinishAsync(Payment p, int attempt, CancellationToken ct) =>
        db.InShortTransactionAsync(gate, async () =>
        {
            var n = await db.Payments.Where(x => x.Id == p.Id && x.Status == PaymentStatus.Refunding)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, PaymentStatus.Refunded)
                    .SetProperty(x => x.RefundedAt, clock.GetUtcNow().UtcDateTime), ct);
            if (n == 0 || await CurrentAttemptAsync(p.Id, ct) != attempt) return (false, false);
            await payments.CountAsync(p.Id, PaymentStatus.Refunded, ct);
            await payments.NotifyAsync(p.UserId, lang => string.Format(PaymentTexts.Refunded.In(lang), p.PayAmount + " ⭐"), ct);
            await db.SaveChangesAsync(ct);
            return (true, true);
        }, ct);

    /// <summary>REFUNDING → COMPLETED for this attempt, the reversal undone under its own reference.</summary>
    private Task CompensateAsync(Payment p, int attempt, CancellationToken ct) =>
        db.InShortTransactionAsync(gate, async () =>
        {
            var n = await db.Payments.Where(x => x.Id == p.Id && x.Status == PaymentStatus.Refunding)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, PaymentStatus.Completed), ct);
            if (n == 0 || await CurrentAttemptAsync(p.Id, ct) != attempt) return (false, false);
            var undone = await payments.FulfilmentFor(p.Purpose)!.UndoReverseAsync(p, p.Amount, p.Currency, RefundRef(p.Id, attempt) + ":undo", ct);
            if (!undone.Ok) throw new InvalidOperationException($"Could not undo the reversal of payment {p.Id}: {undone.Error}");
            await payments.ReverseUndoneAsync(p, RefundRef(p.Id, attempt), ct);
            return (true, true);
        }, ct);

    /// <summary>Refund attempts so far: the reversals posted under this payment's refund references.</summary>
    private async Task<int> CurrentAttemptAsync(long paymentId, CancellationToken ct)
    {
        var prefix = $"payment:{paymentId.ToString(CultureInfo.InvariantCulture)}:refund:";
        return await db.LedgerTransactions.CountAsync(t => t.ExternalRef != null && t.ExternalRef.StartsWith(prefix) && !t.ExternalRef.EndsWith(":undo"), ct);
    }
}
