using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Payments;

public enum CompleteOutcome { Completed, NotFound, NotPending, DuplicateEvent, FulfilmentFailed }

public sealed record CompleteResult(CompleteOutcome Outcome, PaymentStatus? Status = null, PostError LedgerError = PostError.None);

/// <summary>How a completion differs from the default (credit the payment's amount once under <c>payment:{id}</c>).</summary>
/// <param name="CreditAmount">What the purpose receives, when not the payment's own amount (crypto: the value at first sight).</param>
/// <param name="ExternalRef">The ledger reference; defaults to one per payment.</param>
/// <param name="AllowAlreadyCompleted">Credit again under a new reference although the payment is already COMPLETED (a second crypto output).</param>
/// <param name="Notice">The message to the user instead of the default "credited" one.</param>
/// <param name="InTransaction">More work that must commit together with the credit.</param>
public sealed record Completion(long? CreditAmount = null, string? ExternalRef = null, bool AllowAlreadyCompleted = false,
    Func<string, string>? Notice = null, Func<CancellationToken, Task>? InTransaction = null);

/// <summary>
/// The state changes every method shares. Completion is decided by a conditional UPDATE (PENDING -> COMPLETED)
/// and an optional unique provider event row, never by a read-then-write, so racing callbacks fulfil once.
/// </summary>
public sealed class PaymentService(BazaarDb db, Outbox outbox, TimeProvider clock, IEnumerable<IPaymentFulfilment> fulfilments,
    IEnumerable<IPaymentListener> listeners, Operations.BazaarMetrics metrics)
{
    public IPaymentFulfilment? FulfilmentFor(PaymentPurpose purpose) => fulfilments.FirstOrDefault(f => f.Purpose == purpose);

    public async Task<CompleteResult> CompleteAsync(long paymentId, string? providerPaymentId, (string Provider, string EventId)? evt,
        string? decidedBy, Completion? how, CancellationToken ct)
    {
        how ??= new Completion();
        await using var tx = await PaymentsTransaction.BeginAsync(db, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        try
        {
            if (evt is { } e)
            {
                var row = new PaymentEvent { Provider = e.Provider, EventId = e.EventId, PaymentId = paymentId, ReceivedAt = now };
                db.PaymentEvents.Add(row);
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
                {
                    db.Entry(row).State = EntityState.Detached;
                    await tx.RollbackAsync(ct);
                    return new(CompleteOutcome.DuplicateEvent);
                }
            }

            int changed;
            try
            {
                changed = await db.Payments
                    .Where(p => p.Id == paymentId && (p.Status == PaymentStatus.Pending || (how.AllowAlreadyCompleted && p.Status == PaymentStatus.Completed)))
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(p => p.Status, PaymentStatus.Completed)
                        .SetProperty(p => p.CompletedAt, p => p.CompletedAt ?? now)
                        .SetProperty(p => p.ProviderPaymentId, p => providerPaymentId ?? p.ProviderPaymentId)
                        .SetProperty(p => p.DecidedBy, p => decidedBy ?? p.DecidedBy), ct);
            }
            catch (Exception ex) when (DbErrors.IsUniqueViolation(ex))
            {
                await tx.RollbackAsync(ct);
                return new(CompleteOutcome.DuplicateEvent);
            }

            var payment = await db.Payments.AsNoTracking().FirstOrDefaultAsync(p => p.Id == paymentId, ct);
            if (changed == 0)
            {
                await tx.RollbackAsync(ct);
                return payment is null ? new(CompleteOutcome.NotFound) : new(CompleteOutcome.NotPending, payment.Status);
            }

            var fulfilment = FulfilmentFor(payment!.Purpose);
            var amount = how.CreditAmount ?? payment.Amount;
            var result = fulfilment is null
                ? new PostResult(null, PostError.Unbalanced)
                : await fulfilment.FulfilAsync(payment, amount, payment.Currency, how.ExternalRef ?? $"payment:{payment.Id}", ct);
            if (!result.Ok)
            {
                await tx.RollbackAsync(ct);
                db.ChangeTracker.Clear();
                return new(result.Error == PostError.Duplicate ? CompleteOutcome.DuplicateEvent : CompleteOutcome.FulfilmentFailed,
                    payment.Status, result.Error);
            }

            foreach (var listener in listeners)
                await listener.OnCompletedAsync(payment, amount, payment.Currency, how.ExternalRef ?? $"payment:{payment.Id}", ct);
            if (how.InTransaction is not null) await how.InTransaction(ct);
            if (how.Notice is not null) await NotifyAsync(payment.UserId, how.Notice, ct);
            else if (payment.Purpose == PaymentPurpose.WalletTopup)
                await NotifyAsync(payment.UserId, lang => string.Format(PaymentTexts.Credited.In(lang), Currencies.Format(amount, payment.Currency)), ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            metrics.PaymentAfterCommit(db, payment.Method, PaymentStatus.Completed);
            return new(CompleteOutcome.Completed, PaymentStatus.Completed);
        }
        catch
        {
            db.ChangeTracker.Clear();
            throw;
        }
    }

    /// <summary>Tells the listeners that a refund attempt reversed the payment (call in the reversal's transaction).</summary>
    public async Task ReversedAsync(Payment payment, string reversalRef, CancellationToken ct)
    {
        foreach (var listener in listeners) await listener.OnReversedAsync(payment, reversalRef, ct);
    }

    /// <summary>Tells the listeners that a reversal was undone because the provider refused the refund.</summary>
    public async Task ReverseUndoneAsync(Payment payment, string reversalRef, CancellationToken ct)
    {
        foreach (var listener in listeners) await listener.OnReverseUndoneAsync(payment, reversalRef, ct);
    }

    /// <summary>PENDING -> FAILED / CANCELLED / EXPIRED; false when the payment was no longer pending.</summary>
    public async Task<bool> EndAsync(long paymentId, PaymentStatus status, string? reason, string? decidedBy, CancellationToken ct)
    {
        var n = await db.Payments.Where(p => p.Id == paymentId && p.Status == PaymentStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, status)
                .SetProperty(p => p.StatusReason, reason)
                .SetProperty(p => p.DecidedBy, decidedBy), ct);
        if (n == 1) await CountAsync(paymentId, status, ct);
        return n == 1;
    }

    /// <summary>Counts a status change in the metrics, once the caller's transaction commits.</summary>
    public async Task CountAsync(long paymentId, PaymentStatus status, CancellationToken ct)
    {
        var method = await db.Payments.Where(p => p.Id == paymentId).Select(p => p.Method).FirstAsync(ct);
        metrics.PaymentAfterCommit(db, method, status);
    }

    /// <summary>Adds a chat message to the outbox (saved with the caller's SaveChanges).</summary>
    public async Task NotifyAsync(long userId, Func<string, string> text, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || user.IsBlocked) return;
        outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id), text(Conversations.Languages.FromCode(user.LanguageCode)));
    }
}
