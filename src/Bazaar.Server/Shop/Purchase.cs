using System.Data.Common;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Shop;

public sealed record PurchaseResult(Order? Order, string? Error, bool AlreadyPurchased = false)
{
    public bool Ok => Order is not null && Error is null;
}

/// <summary>
/// The credit balance of paid checks, owned by the checks feature. A credit pack's fulfilment calls it in the
/// purchase's transaction; without an implementation registered, credit packs are not offered.
/// </summary>
public interface IShopCredits
{
    Task GrantAsync(long userId, long credits, string reference, CancellationToken ct);
}

/// <summary>
/// Confirming a reservation. In one transaction: the reservation closes (conditional UPDATE), the unit turns SOLD
/// (conditional UPDATE on the unit this reservation holds), the wallet is debited through the ledger (its balance
/// condition, and one posting per reservation), the order row is inserted (unique per reservation and per unit),
/// the goods are granted and the delivery queued. Any refusal rolls all of it back.
/// </summary>
public sealed class Purchase(BazaarDb db, ShopTransaction shopTx, Reservations reservations, Ledger ledger, ShopDelivery delivery,
    Entitlements entitlements, IEnumerable<IShopCredits> credits, Outbox outbox, TimeProvider clock)
{
    public const string PaidWithWallet = "wallet";

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public static string LedgerRef(long reservationId) => $"shop:reservation:{reservationId}";

    /// <summary>"Confirm": pays the held price from the wallet.</summary>
    public async Task<PurchaseResult> ConfirmAsync(long userId, long reservationId, CancellationToken ct)
    {
        var r = await db.Reservations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == reservationId && x.UserId == userId, ct);
        if (r is null) return new(null, ShopErrors.ReservationNotFound);
        if (r.Status == ReservationStatus.Completed) return await AlreadyAsync(r.Id, ct);
        if (r.Status != ReservationStatus.Active || r.ExpiresAt <= Now) return new(null, ShopErrors.ReservationExpired);
        return await SellAsync(r, PaidWithWallet, null, lateAllowed: false, ct);
    }

    /// <summary>
    /// A direct payment (Stars, Stripe, BTC, LTC) for a reservation completed: the money goes to the wallet under the
    /// payment's reference, then the sale is made from it, also when the hold has lapsed but a unit is still free.
    /// The sale is made only when this payment has brought at least the price (a crypto payment can bring less or
    /// more, in one or several outputs); the wallet's other money never tops up a short payment by itself. Whatever
    /// is not spent on the order stays in the wallet and the user is told why, in the completion's transaction.
    /// </summary>
    public async Task<PostResult> FulfilPaymentAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct)
    {
        var credit = await ledger.PostAsync(new Posting("deposit", currency,
            [new Leg(AccountRef.DepositsClearing(payment.Method.WireName()), -amount), new Leg(AccountRef.Wallet(payment.UserId), amount)])
        {
            ExternalRef = externalRef, Description = $"Payment #{payment.Id} ({payment.Method.WireName()}) for reservation {payment.PurposeRef}",
        }, ct);
        if (!credit.Ok) return credit;

        var r = long.TryParse(payment.PurposeRef, out var rid)
            ? await db.Reservations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == rid && x.UserId == payment.UserId, ct) : null;
        if (r is null)
        {
            await delivery.NotifyKeptInWalletAsync(payment.UserId, amount, currency, ct);
            return credit;
        }
        if (r.Status == ReservationStatus.Completed)
        {
            // A further output to an order already made (or an order paid another way meanwhile).
            var done = await db.Orders.AsNoTracking().Where(o => o.ReservationId == r.Id).Select(o => (long?)o.Id).FirstOrDefaultAsync(ct);
            await delivery.NotifyAsync(payment.UserId, ShopTexts.ExtraPayment, ct, Pricing.Format(amount, currency), done);
            return credit;
        }

        var paid = amount + await EarlierCreditsAsync(payment, ct);
        var sale = paid >= r.FinalPrice && string.Equals(currency, r.Currency, StringComparison.OrdinalIgnoreCase)
            ? await SellAsync(r, payment.Method.WireName(), payment.Id, lateAllowed: true, ct)
            : new PurchaseResult(null, ShopErrors.InsufficientFunds);
        if (sale.Ok)
        {
            if (paid > r.FinalPrice) await delivery.NotifyAsync(payment.UserId, ShopTexts.Overpaid, ct, Pricing.Format(paid - r.FinalPrice, currency));
        }
        else if (sale.Error == ShopErrors.InsufficientFunds && r.Status == ReservationStatus.Active && r.ExpiresAt > Now)
            await delivery.NotifyUnderpaidAsync(r, paid, await ledger.BalanceAsync(payment.UserId, r.Currency, ct), ct);
        else if (sale.Error == ShopErrors.InsufficientFunds)
            await delivery.NotifyAsync(payment.UserId, ShopTexts.UnderpaidKept, ct, Pricing.Format(paid, currency), Pricing.Format(r.FinalPrice, r.Currency));
        else
            await delivery.NotifyKeptInWalletAsync(payment.UserId, amount, currency, ct);
        return credit;
    }

    /// <summary>What this payment credited before the credit being made now: a crypto payment's earlier outputs.</summary>
    private async Task<long> EarlierCreditsAsync(Payment payment, CancellationToken ct) =>
        payment.Method.IsCrypto()
            ? await db.CryptoTransfers.Where(t => t.PaymentId == payment.Id && t.CreditedAt != null).SumAsync(t => t.CreditedAmount ?? 0, ct)
            : 0;

    /// <summary>An order's crypto quote is held exactly as long as its reservation.</summary>
    public async Task<DateTime?> QuoteUntilAsync(Payment payment, CancellationToken ct) =>
        long.TryParse(payment.PurposeRef, out var rid)
            ? await db.Reservations.Where(x => x.Id == rid && x.UserId == payment.UserId).Select(x => (DateTime?)x.ExpiresAt).FirstOrDefaultAsync(ct)
            : null;

    /// <summary>
    /// Null when the reservation can still be paid at this amount (payment creation and Stars' pre-checkout), else the
    /// error code: a lapsed hold's quote is never accepted, the user presses Buy again for a new one.
    /// </summary>
    public async Task<string?> CheckPayableAsync(Payment payment, CancellationToken ct)
    {
        if (!long.TryParse(payment.PurposeRef, out var rid)) return ShopErrors.ReservationNotFound;
        var r = await db.Reservations.AsNoTracking().FirstOrDefaultAsync(x => x.Id == rid && x.UserId == payment.UserId, ct);
        if (r is null) return ShopErrors.ReservationNotFound;
        if (r.Status != ReservationStatus.Active || r.ExpiresAt <= Now) return ShopErrors.ReservationExpired;
        if (r.FinalPrice != payment.Amount || !string.Equals(r.Currency, payment.Currency, StringComparison.OrdinalIgnoreCase)) return "price_mismatch";
        return null;
    }

    private async Task<PurchaseResult> SellAsync(Reservation r, string paidWith, long? paymentId, bool lateAllowed, CancellationToken ct)
    {
        var product = await db.Products.AsNoTracking().FirstAsync(p => p.Id == r.ProductId, ct);
        if (product.Kind == ProductKind.CreditPack && !credits.Any()) return new(null, ShopErrors.ProductNotFound);
        var recipient = await delivery.RecipientAsync(r.UserId, product, ct);
        return await shopTx.RunAsync<PurchaseResult>(async () =>
        {
            var now = Now;
            // Prepared statements from here on: this runs while the sale holds the write turn (SQLite) or its rows (PostgreSQL).
            var close = db.HotCommand(lateAllowed ? CloseLate : CloseInTime, "@now", "@id");
            close.Parameters[0].Value = now;
            close.Parameters[1].Value = r.Id;
            var closed = await close.ExecuteNonQueryAsync(ct);
            if (closed == 0)
            {
                var status = await db.Reservations.Where(x => x.Id == r.Id).Select(x => x.Status).FirstAsync(ct);
                return (status == ReservationStatus.Completed ? new(null, "already_purchased", true) : new(null, ShopErrors.ReservationExpired), false);
            }

            StockUnit? unit = null;
            if (ProductKind.HasStock(product.Kind))
            {
                unit = await SellUnitAsync(r, lateAllowed, now, ct);
                if (unit is null) return (new(null, ShopErrors.SoldOut), false);
            }

            var order = new Order
            {
                UserId = r.UserId, ProductId = product.Id, ProductName = product.Name, Kind = product.Kind, UnitId = unit?.Id,
                ReservationId = r.Id, OriginalPrice = r.OriginalPrice, DiscountPercent = r.DiscountPercent,
                DiscountAmount = r.OriginalPrice - r.FinalPrice, FinalPrice = r.FinalPrice, Currency = r.Currency,
                PaidWith = paidWith, PaymentId = paymentId, CreatedAt = now,
            };
            // One prepared INSERT instead of SaveChanges; the unique indexes (one order per reservation, per unit) still decide.
            try
            {
                order.Id = await RowInsert.For<Order>(db).InsertAsync(db, order, ct);
            }
            catch (DbException e) when (DbErrors.IsUniqueViolation(e))
            {
                return (new(null, "already_purchased", true), false);
            }
            if (unit is not null)
            {
                var link = db.HotCommand("""UPDATE shop_stock_units SET "OrderId" = @o WHERE "Id" = @u""", "@o", "@u");
                link.Parameters[0].Value = order.Id;
                link.Parameters[1].Value = unit.Id;
                await link.ExecuteNonQueryAsync(ct);
                unit.OrderId = order.Id;
            }

            Entitlement? grant = null;
            if (product.Kind == ProductKind.Subscription) grant = await entitlements.GrantAsync(order, product, ct);
            if (product.Kind == ProductKind.CreditPack)
                await credits.First().GrantAsync(r.UserId, product.Credits ?? 0, $"shop:order:{order.Id}", ct);
            await delivery.DeliverAsync(recipient, order, product, unit, grant, ct);
            // The delivery's outbox rows by prepared INSERTs when they are all there is to save.
            if (!await outbox.TrySaveRepliesOnlyAsync(ct)) await db.SaveChangesAsync(ct);

            // The debit is the last statement before the commit: every purchase updates the one sales-revenue ledger
            // row, and on PostgreSQL its lock is held from that UPDATE to the commit. A refusal rolls all of it back
            // (the delivery's rows with it).
            if (r.FinalPrice > 0)
            {
                var debit = await ledger.PostAsync(new Posting("purchase", r.Currency,
                    [new Leg(AccountRef.Wallet(r.UserId), -r.FinalPrice), new Leg(AccountRef.SalesRevenue, r.FinalPrice)])
                {
                    ExternalRef = LedgerRef(r.Id), Description = $"{product.Name} (reservation {r.Id})",
                }, ct);
                if (debit.Error == PostError.InsufficientFunds) return (new(null, ShopErrors.InsufficientFunds), false);
                if (debit.Error == PostError.Duplicate) return (new(null, "already_purchased", true), false);
                if (!debit.Ok) throw new InvalidOperationException($"The purchase posting was refused: {debit.Error}");
            }
            return (new(order, null), true);
        }, ct);
    }

    private const string CloseInTime = $"""
        UPDATE shop_reservations SET "Status" = '{ReservationStatus.Completed}', "ClosedAt" = @now
        WHERE "Id" = @id AND "Status" = '{ReservationStatus.Active}' AND "ExpiresAt" > @now
        """;

    private const string CloseLate = $"""
        UPDATE shop_reservations SET "Status" = '{ReservationStatus.Completed}', "ClosedAt" = @now
        WHERE "Id" = @id AND "Status" <> '{ReservationStatus.Completed}'
        """;

    /// <summary>
    /// The unit this reservation holds turns SOLD (a conditional UPDATE that answers the unit's row, so it is not read
    /// again); a late payment may take its lapsed unit back or any free one.
    /// </summary>
    private async Task<StockUnit?> SellUnitAsync(Reservation r, bool lateAllowed, DateTime now, CancellationToken ct)
    {
        if (r.UnitId is { } own)
        {
            var cmd = db.HotCommand(lateAllowed ? SellOwnLate : SellOwnInTime, "@now", "@id", "@r");
            cmd.Parameters[0].Value = now;
            cmd.Parameters[1].Value = own;
            cmd.Parameters[2].Value = r.Id;
            await using var row = await cmd.ExecuteReaderAsync(ct);
            if (await row.ReadAsync(ct)) return ReadUnit(row);
        }
        if (!lateAllowed) return null;
        var other = await reservations.ClaimUnitAsync(r.ProductId, r.Id, now, now, ct);
        if (other is null) return null;
        await db.StockUnits.Where(u => u.Id == other && u.ReservationId == r.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UnitStatus.Sold).SetProperty(u => u.SoldAt, now), ct);
        return await db.StockUnits.AsNoTracking().FirstAsync(u => u.Id == other, ct);
    }

    private const string UnitColumns = """
        "Id", "ProductId", "Status", "ReservationId", "HeldUntil", "OrderId", "Secret", "FileUrl", "PhotoUrl", "Latitude", "Longitude",
        "Address", "Details", "CreatedAt", "SoldAt"
        """;

    private const string SellOwnInTime = $"""
        UPDATE shop_stock_units SET "Status" = '{UnitStatus.Sold}', "SoldAt" = @now
        WHERE "Id" = @id AND "ReservationId" = @r AND "Status" = '{UnitStatus.Reserved}' AND "HeldUntil" > @now
        RETURNING {UnitColumns}
        """;

    private const string SellOwnLate = $"""
        UPDATE shop_stock_units SET "Status" = '{UnitStatus.Sold}', "SoldAt" = @now
        WHERE "Id" = @id AND "ReservationId" = @r AND "Status" = '{UnitStatus.Reserved}'
        RETURNING {UnitColumns}
        """;

    private static StockUnit ReadUnit(DbDataReader r)
    {
        static DateTime Utc(DateTime t) => DateTime.SpecifyKind(t, DateTimeKind.Utc);
        return new StockUnit
        {
            Id = r.GetInt64(0), ProductId = r.GetInt64(1), Status = r.GetString(2),
            ReservationId = r.IsDBNull(3) ? null : r.GetInt64(3), HeldUntil = r.IsDBNull(4) ? null : Utc(r.GetDateTime(4)),
            OrderId = r.IsDBNull(5) ? null : r.GetInt64(5), Secret = r.IsDBNull(6) ? null : r.GetString(6),
            FileUrl = r.IsDBNull(7) ? null : r.GetString(7), PhotoUrl = r.IsDBNull(8) ? null : r.GetString(8),
            Latitude = r.IsDBNull(9) ? null : r.GetDouble(9), Longitude = r.IsDBNull(10) ? null : r.GetDouble(10),
            Address = r.IsDBNull(11) ? null : r.GetString(11), Details = r.IsDBNull(12) ? null : r.GetString(12),
            CreatedAt = Utc(r.GetDateTime(13)), SoldAt = r.IsDBNull(14) ? null : Utc(r.GetDateTime(14)),
        };
    }

    private async Task<PurchaseResult> AlreadyAsync(long reservationId, CancellationToken ct)
    {
        var order = await db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.ReservationId == reservationId, ct);
        return new(order, order is null ? ShopErrors.ReservationExpired : "already_purchased", AlreadyPurchased: order is not null);
    }
}

/// <summary>Orders paid directly by Stars, Stripe, BTC or LTC: the <c>order</c> purpose of the payment model.</summary>
internal sealed class OrderPaymentFulfilment(Purchase purchase, Ledger ledger) : IPaymentFulfilment
{
    public PaymentPurpose Purpose => PaymentPurpose.Order;

    public Task<string?> CheckAvailableAsync(Payment payment, CancellationToken ct) =>
        purchase.CheckPayableAsync(payment, ct);

    public Task<DateTime?> QuoteUntilAsync(Payment payment, CancellationToken ct) => purchase.QuoteUntilAsync(payment, ct);

    public Task<PostResult> FulfilAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        purchase.FulfilPaymentAsync(payment, amount, currency, externalRef, ct);

    // A refund takes the money back from the wallet (where a kept-in-wallet payment sits); an order already made
    // from it stays made, so the refund is refused by the wallet's balance condition unless the money is still there.
    public Task<PostResult> ReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        ledger.PostAsync(new Posting("refund", currency,
            [new Leg(AccountRef.Wallet(payment.UserId), -amount), new Leg(AccountRef.Refunds, amount)])
        { ExternalRef = externalRef, Description = $"Refund of order payment #{payment.Id}" }, ct);

    public Task<PostResult> UndoReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        ledger.PostAsync(new Posting("refund_undo", currency,
            [new Leg(AccountRef.Refunds, -amount), new Leg(AccountRef.Wallet(payment.UserId), amount)])
        { ExternalRef = externalRef, Description = $"Refund of order payment #{payment.Id} failed at the provider; credit restored" }, ct);
}
