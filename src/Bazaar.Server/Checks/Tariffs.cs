using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Checks;

public static class TariffErrors
{
    public const string NotFound = "tariff_not_found";
    public const string Inactive = "tariff_inactive";
    public const string PriceMismatch = "price_mismatch";
}

/// <summary>
/// Buying a tariff. Paid by a provider, the <c>tariff</c> purpose of the payment model: the completion's transaction
/// books the money as sales and grants the credits under the payment's id, so duplicate callbacks grant once. Paid
/// from the wallet, one posting moves the money and one grants the credits, in one transaction.
/// </summary>
public sealed class TariffPurchase(BazaarDb db, Ledger ledger, CheckCredits credits, Outbox outbox, WriteGate gate)
{
    public static string GrantKey(long paymentId) => $"tariff:payment:{paymentId}";
    public static string ReverseKey(long paymentId) => $"tariff:payment:{paymentId}:reverse";

    public Task<Tariff?> FindAsync(string? purposeRef, CancellationToken ct) =>
        long.TryParse(purposeRef, out var id) ? db.Tariffs.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, ct) : Task.FromResult<Tariff?>(null);

    /// <summary>Null when the payment names an active tariff at exactly its price (its Stars price for Stars).</summary>
    public async Task<string?> CheckPayableAsync(Payment p, CancellationToken ct)
    {
        var t = await FindAsync(p.PurposeRef, ct);
        if (t is null) return TariffErrors.NotFound;
        if (!t.IsActive) return TariffErrors.Inactive;
        if (t.Price != p.Amount || !string.Equals(t.Currency, p.Currency, StringComparison.OrdinalIgnoreCase)) return TariffErrors.PriceMismatch;
        return null;
    }

    public async Task<PostResult> FulfilAsync(Payment p, long amount, string currency, string externalRef, CancellationToken ct)
    {
        var t = await FindAsync(p.PurposeRef, ct);
        if (t is null) return new(null, PostError.Unbalanced);
        var money = await ledger.PostAsync(new Posting("tariff_sale", currency,
            [new Leg(AccountRef.DepositsClearing(p.Method.WireName()), -amount), new Leg(AccountRef.SalesRevenue, amount)])
        {
            ExternalRef = externalRef, Description = $"Payment #{p.Id} ({p.Method.WireName()}) for tariff {t.Name}",
        }, ct);
        if (!money.Ok) return money;
        var grant = await credits.GrantAsync(p.UserId, t.Credits, GrantKey(p.Id), $"tariff {t.Id} ({t.Name})", ct);
        if (!grant.Ok) return grant;
        await NotifyAsync(p.UserId, t, ct);
        return money;
    }

    /// <summary>A refund takes the credits back (refused when they were already spent) and books the money out.</summary>
    public async Task<PostResult> ReverseAsync(Payment p, long amount, string currency, string externalRef, CancellationToken ct)
    {
        var t = await FindAsync(p.PurposeRef, ct);
        if (t is null) return new(null, PostError.Unbalanced);
        var back = await ledger.PostAsync(new Posting("credit_reverse", Currencies.Credit,
            [new Leg(CheckCredits.Account(p.UserId), -t.Credits), new Leg(CheckCredits.Issued, t.Credits)])
        { ExternalRef = ReverseKey(p.Id) + ":" + externalRef, Description = $"Credits of refunded payment #{p.Id}" }, ct);
        if (!back.Ok) return back;
        return await ledger.PostAsync(new Posting("refund", currency,
            [new Leg(AccountRef.SalesRevenue, -amount), new Leg(AccountRef.Refunds, amount)])
        { ExternalRef = externalRef, Description = $"Refund of tariff payment #{p.Id}" }, ct);
    }

    public async Task<PostResult> UndoReverseAsync(Payment p, long amount, string currency, string externalRef, CancellationToken ct)
    {
        var t = await FindAsync(p.PurposeRef, ct);
        if (t is null) return new(null, PostError.Unbalanced);
        var back = await ledger.PostAsync(new Posting("credit_reverse_undo", Currencies.Credit,
            [new Leg(CheckCredits.Issued, -t.Credits), new Leg(CheckCredits.Account(p.UserId), t.Credits)])
        { ExternalRef = ReverseKey(p.Id) + ":undo:" + externalRef, Description = $"Refund of payment #{p.Id} failed; credits restored" }, ct);
        if (!back.Ok) return back;
        return await ledger.PostAsync(new Posting("refund_undo", currency,
            [new Leg(AccountRef.Refunds, -amount), new Leg(AccountRef.SalesRevenue, amount)])
        { ExternalRef = externalRef, Description = $"Refund of tariff payment #{p.Id} failed at the provider" }, ct);
    }

    public enum WalletBuy { Done, NotFound, InsufficientFunds, AlreadyDone }

    /// <summary>Pays a tariff from the wallet: money to sales and the credits, both or neither; once per key.</summary>
    public async Task<(WalletBuy Outcome, long Balance)> BuyFromWalletAsync(long userId, long tariffId, string idempotencyKey, CancellationToken ct)
    {
        var t = await db.Tariffs.AsNoTracking().FirstOrDefaultAsync(x => x.Id == tariffId && x.IsActive, ct);
        if (t is null) return (WalletBuy.NotFound, 0);
        var own = db.Database.CurrentTransaction is null;
        using var turn = own ? await gate.EnterAsync(ct) : default;
        await using var tx = own ? await db.Database.BeginTransactionAsync(ct) : null;
        const string sp = "tariff_wallet";
        if (!own) await db.Database.CurrentTransaction!.CreateSavepointAsync(sp, ct);
        async Task Undo()
        {
            if (own) await tx!.RollbackAsync(ct);
            else await db.Database.CurrentTransaction!.RollbackToSavepointAsync(sp, ct);
        }
        var money = await ledger.PostAsync(new Posting("tariff_purchase", t.Currency,
            [new Leg(AccountRef.Wallet(userId), -t.Price), new Leg(AccountRef.SalesRevenue, t.Price)])
        { ExternalRef = idempotencyKey, Description = $"Tariff {t.Name} ({t.Credits} credits)" }, ct);
        if (!money.Ok)
        {
            await Undo();
            return (money.Error == PostError.Duplicate ? WalletBuy.AlreadyDone : WalletBuy.InsufficientFunds, await credits.BalanceAsync(userId, ct));
        }
        var grant = await credits.GrantAsync(userId, t.Credits, idempotencyKey + ":credits", $"tariff {t.Id} ({t.Name}) from the wallet", ct);
        if (!grant.Ok)
        {
            await Undo();
            return (WalletBuy.AlreadyDone, await credits.BalanceAsync(userId, ct));
        }
        if (own) await tx!.CommitAsync(ct);
        else await db.Database.CurrentTransaction!.ReleaseSavepointAsync(sp, ct);
        return (WalletBuy.Done, await credits.BalanceAsync(userId, ct));
    }

    private async Task NotifyAsync(long userId, Tariff t, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || user.IsBlocked) return;
        var lang = Languages.FromCode(user.LanguageCode);
        var balance = await credits.BalanceAsync(userId, ct);
        outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id),
            string.Format(CheckTexts.CreditsAdded.In(lang), t.Credits, System.Net.WebUtility.HtmlEncode(t.Name), balance));
    }
}

internal sealed class TariffPaymentFulfilment(TariffPurchase purchase) : IPaymentFulfilment
{
    public PaymentPurpose Purpose => PaymentPurpose.Tariff;
    public Task<string?> CheckAvailableAsync(Payment payment, CancellationToken ct) => purchase.CheckPayableAsync(payment, ct);
    public async Task<long?> StarsPriceAsync(Payment payment, CancellationToken ct) => (await purchase.FindAsync(payment.PurposeRef, ct))?.StarsPrice;
    public Task<PostResult> FulfilAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        purchase.FulfilAsync(payment, amount, currency, externalRef, ct);
    public Task<PostResult> ReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        purchase.ReverseAsync(payment, amount, currency, externalRef, ct);
    public Task<PostResult> UndoReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        purchase.UndoReverseAsync(payment, amount, currency, externalRef, ct);
}
