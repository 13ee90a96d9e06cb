using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Server.Shop;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Raffles;

/// <summary>Stable error codes of raffles, shared by chat, REST (the ProblemDetails code) and payments.</summary>
public static class RaffleErrors
{
    public const string RaffleNotFound = "raffle_not_found";
    public const string OrderNotFound = "raffle_order_not_found";
    public const string NotOnSale = "raffle_not_on_sale";
    public const string BadPick = "ticket_pick_invalid";
    public const string OutOfRange = "ticket_out_of_range";
    public const string TooMany = "too_many_tickets";
    public const string Taken = "tickets_taken";
    public const string NotEnoughLeft = "not_enough_tickets";
    public const string OrderOpen = "raffle_order_open";
    /// <summary>The transition is not allowed from the order's state (confirming an expired order, cancelling a paid one).</summary>
    public const string IllegalTransition = "raffle_order_state";
    public const string ProofTooLarge = "proof_too_large";
    public const string ProofType = "proof_type_not_allowed";
    public const string TicketsLocked = "tickets_in_use";
    /// <summary>An online payment's amount or currency is not the order's.</summary>
    public const string PriceMismatch = "price_mismatch";

    public static int HttpStatus(string code) => code switch
    {
        RaffleNotFound or OrderNotFound => 404,
        BadPick or OutOfRange or TooMany => 400,
        PriceMismatch => 422,
        ProofTooLarge => 413,
        ProofType => 415,
        _ => 409,
    };
}

/// <summary>How a raffle order operation went: the order as it is now, or an error code with a human detail.</summary>
public sealed record RaffleResult(RaffleOrder? Order, string? Error = null, string? Detail = null, IReadOnlyList<int>? Taken = null)
{
    public bool Ok => Error is null;
    public static RaffleResult Fail(string code, string detail, IReadOnlyList<int>? taken = null) => new(null, code, detail, taken);
}

public static class TicketQueries
{
    /// <summary>Tickets a pick may take now: available, or held by an order whose hold lapsed (even before the job ran).</summary>
    public static IQueryable<RaffleTicket> Free(this IQueryable<RaffleTicket> q, DateTime now) =>
        q.Where(t => t.Status == TicketStatus.Available || (t.Status == TicketStatus.Reserved && t.HeldUntil != null && t.HeldUntil <= now));

    /// <summary>Counts by status as a reader should see them: a lapsed hold counts as available.</summary>
    public static async Task<Dictionary<string, int>> CountsAsync(BazaarDb db, long raffleId, DateTime now, CancellationToken ct)
    {
        var rows = await db.RaffleTickets.AsNoTracking().Where(t => t.RaffleId == raffleId)
            .GroupBy(t => t.Status == TicketStatus.Reserved && t.HeldUntil != null && t.HeldUntil <= now ? TicketStatus.Available : t.Status)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var result = TicketStatus.All.ToDictionary(s => s, _ => 0);
        foreach (var r in rows) result[r.Key] = r.Count;
        return result;
    }
}

/// <summary>
/// Raffle tickets and orders, for the chat (Telegram and WhatsApp) and REST alike. Numbers are claimed by one
/// conditional UPDATE (never read-then-write) in the order's transaction, all or nothing; on PostgreSQL the rows are
/// locked in number order (exact picks) or with SKIP LOCKED (random picks), on SQLite the one write gate serializes.
/// </summary>
public sealed class RaffleOrders(BazaarDb db, ShopTransaction tx, Outbox outbox, Ledger ledger, IOptions<RafflesOptions> options,
    IHostEnvironment env, TimeProvider clock)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;
    private RafflesOptions O => options.Value;

    // Tickets

    /// <summary>Creates the raffle's tickets, one per number. Again only with force, and only while none is reserved or sold.</summary>
    public async Task<(int Created, string? Error, string? Detail)> GenerateAsync(long raffleId, bool force, CancellationToken ct)
    {
        var raffle = await db.Raffles.AsNoTracking().FirstOrDefaultAsync(r => r.Id == raffleId, ct);
        if (raffle is null) return (0, RaffleErrors.RaffleNotFound, $"There is no raffle {raffleId}.");
        return await tx.RunAsync<(int, string?, string?)>(async () =>
        {
            var now = Now;
            var existing = await db.RaffleTickets.CountAsync(t => t.RaffleId == raffleId, ct);
            if (existing > 0 && !force) return ((0, null, null), false);
            if (existing > 0)
            {
                // Every ticket must be untouched; a live hold or a sale keeps the range as it is.
                var deleted = await db.RaffleTickets.Where(t => t.RaffleId == raffleId && t.Status == TicketStatus.Available && t.OrderId == null)
                    .ExecuteDeleteAsync(ct);
                if (deleted != existing)
                    return ((0, RaffleErrors.TicketsLocked, "Tickets are reserved or sold; they cannot be generated again."), false);
            }
            var sql = db.IsPostgres
                ? """INSERT INTO raffle_tickets ("RaffleId", "Number", "Status") SELECT {0}, n, {1} FROM generate_series({2}, {3}) AS n ON CONFLICT DO NOTHING"""
                : """
                  WITH RECURSIVE s(n) AS (SELECT {2} UNION ALL SELECT n + 1 FROM s WHERE n < {3})
                  INSERT INTO raffle_tickets ("RaffleId", "Number", "Status") SELECT {0}, n, {1} FROM s WHERE true ON CONFLICT DO NOTHING
                  """;
            var created = await db.Database.ExecuteSqlRawAsync(sql, [raffleId, TicketStatus.Available, raffle.NumberFrom, raffle.NumberTo], ct);
            await db.Raffles.Where(r => r.Id == raffleId).ExecuteUpdateAsync(s => s.SetProperty(r => r.TicketsGeneratedAt, now).SetProperty(r => r.UpdatedAt, now), ct);
            return ((created, null, null), true);
        }, ct);
    }

    // Reserving

    public async Task<RaffleResult> ReserveAsync(long userId, long raffleId, TicketPick pick, CancellationToken ct)
    {
        var raffle = await db.Raffles.AsNoTracking().FirstOrDefaultAsync(r => r.Id == raffleId, ct);
        if (raffle is null) return RaffleResult.Fail(RaffleErrors.RaffleNotFound, $"There is no raffle {raffleId}.");
        if (raffle.Status != RaffleStatus.Active || raffle.TicketsGeneratedAt is null)
            return RaffleResult.Fail(RaffleErrors.NotOnSale, "This raffle is not selling tickets.");
        var count = pick.IsRandom ? pick.RandomCount : pick.Numbers.Count;
        if (count < 1) return RaffleResult.Fail(RaffleErrors.BadPick, "Pick at least one number.");
        if (count > raffle.MaxTicketsPerOrder)
            return RaffleResult.Fail(RaffleErrors.TooMany, $"At most {raffle.MaxTicketsPerOrder} tickets per order.");
        var outside = pick.Numbers.Where(n => n < raffle.NumberFrom || n > raffle.NumberTo).ToList();
        if (outside.Count > 0)
            return RaffleResult.Fail(RaffleErrors.OutOfRange, $"Numbers go from {raffle.Format(raffle.NumberFrom)} to {raffle.Format(raffle.NumberTo)}.", outside);

        var now = Now;
        var result = await tx.RunAsync<RaffleResult>(async () =>
        {
            // The customer's own lapsed order frees its place now, whatever the job's schedule.
            await ExpireLapsedAsync(db.RaffleOrders.Where(o => o.UserId == userId && o.RaffleId == raffleId), now, ct);
            var order = new RaffleOrder
            {
                RaffleId = raffleId, UserId = userId, Currency = raffle.Currency, CreatedAt = now, ExpiresAt = now.AddMinutes(O.ReservationMinutes),
            };
            var t = db.Database.CurrentTransaction!;
            await t.CreateSavepointAsync("raffle_order", ct);
            db.RaffleOrders.Add(order);
            try
            {
                await db.SaveChangesAsync(ct);
                await t.ReleaseSavepointAsync("raffle_order", ct);
            }
            catch (DbUpdateException e) when (DbErrors.IsUniqueViolation(e))
            {
                db.Entry(order).State = EntityState.Detached;
                await t.RollbackToSavepointAsync("raffle_order", ct);
                return (RaffleResult.Fail(RaffleErrors.OrderOpen, "You already have an open order in this raffle; confirm, pay or cancel it first."), false);
            }
            var claimed = pick.IsRandom
                ? await ClaimRandomAsync(raffleId, order.Id, pick.RandomCount, order.ExpiresAt!.Value, now, ct)
                : await ClaimNumbersAsync(raffleId, order.Id, pick.Numbers, order.ExpiresAt!.Value, now, ct);
            if (claimed.Count != count)
            {
                db.Entry(order).State = EntityState.Detached;
                return (pick.IsRandom
                    ? RaffleResult.Fail(RaffleErrors.NotEnoughLeft, $"Only {claimed.Count} ticket(s) could be taken; nothing was reserved.")
                    : RaffleResult.Fail(RaffleErrors.Taken, "Some of these numbers are taken; nothing was reserved.", pick.Numbers.Except(claimed).Order().ToList()), false);
            }
            claimed.Sort();
            order.Numbers = string.Join(',', claimed);
            order.TicketCount = claimed.Count;
            order.Amount = checked(raffle.TicketPrice * claimed.Count);
            await db.SaveChangesAsync(ct);
            db.Entry(order).State = EntityState.Detached;
            return (new RaffleResult(order), true);
        }, ct);
        if (result.Error == RaffleErrors.Taken && result.Taken is { Count: > 0 })
        {
            // Name only the numbers that are really taken now (the rest of the pick was fine).
            var stillFree = await db.RaffleTickets.AsNoTracking().Where(x => x.RaffleId == raffleId && result.Taken.Contains(x.Number)).Free(Now)
                .Select(x => x.Number).ToListAsync(ct);
            var taken = result.Taken.Except(stillFree).ToList();
            if (taken.Count > 0) result = result with { Taken = taken };
        }
        return result;
    }

    private async Task<List<int>> ClaimNumbersAsync(long raffleId, long orderId, IReadOnlyList<int> numbers, DateTime heldUntil, DateTime now, CancellationToken ct)
    {
        var list = string.Join(',', numbers.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        // Locking in number order keeps two overlapping picks from deadlocking on PostgreSQL; the outer condition is
        // evaluated again on the locked (latest) row, so a ticket another order just took is left out and the count tells.
        var sql = $$"""
            UPDATE raffle_tickets SET "Status" = {0}, "OrderId" = {1}, "HeldUntil" = {2}
            WHERE "Id" IN (SELECT "Id" FROM raffle_tickets WHERE "RaffleId" = {3} AND "Number" IN ({{list}}) ORDER BY "Number"{{(db.IsPostgres ? " FOR UPDATE" : "")}})
              AND ("Status" = {4} OR ("Status" = {0} AND "HeldUntil" IS NOT NULL AND "HeldUntil" <= {5}))
            RETURNING "Number" AS "Value"
            """;
        return await db.Database.SqlQueryRaw<int>(sql, TicketStatus.Reserved, orderId, heldUntil, raffleId, TicketStatus.Available, now).ToListAsync(ct);
    }

    private async Task<List<int>> ClaimRandomAsync(long raffleId, long orderId, int count, DateTime heldUntil, DateTime now, CancellationToken ct)
    {
        // SKIP LOCKED: racing random picks take different free tickets instead of queueing on the same rows.
        var sql = $$"""
            UPDATE raffle_tickets SET "Status" = {0}, "OrderId" = {1}, "HeldUntil" = {2}
            WHERE "Id" IN (SELECT "Id" FROM raffle_tickets
                           WHERE "RaffleId" = {3} AND ("Status" = {4} OR ("Status" = {0} AND "HeldUntil" IS NOT NULL AND "HeldUntil" <= {5}))
                           ORDER BY random() LIMIT {6}{{(db.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "")}})
              AND ("Status" = {4} OR ("Status" = {0} AND "HeldUntil" IS NOT NULL AND "HeldUntil" <= {5}))
            RETURNING "Number" AS "Value"
            """;
        return await db.Database.SqlQueryRaw<int>(sql, TicketStatus.Reserved, orderId, heldUntil, raffleId, TicketStatus.Available, now, count).ToListAsync(ct);
    }

    // The order's life

    /// <summary>The customer confirms the numbers: DRAFT → PENDING_PAYMENT (the hold keeps running).</summary>
    public Task<RaffleResult> ConfirmSelectionAsync(long userId, long orderId, CancellationToken ct) =>
        TransitionAsync(orderId, userId, async (o, now) =>
        {
            if (o.Status == RaffleOrderStatus.PendingPayment) return null;
            if (o.Status != RaffleOrderStatus.Draft || Lapsed(o, now)) return Illegal(o, now, "confirm");
            var n = await db.RaffleOrders.Where(x => x.Id == o.Id && x.Status == RaffleOrderStatus.Draft && x.ExpiresAt > now)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, RaffleOrderStatus.PendingPayment).SetProperty(x => x.ConfirmedAt, now), ct);
            return n == 1 ? null : Illegal(o, now, "confirm");
        }, ct);

    /// <summary>
    /// A payment proof from the chat: checked for size and type, stored under Raffles:ProofFolder, and the order waits
    /// for an operator (its hold no longer lapses). DRAFT or PENDING_PAYMENT, not lapsed.
    /// </summary>
    public async Task<RaffleResult> AttachProofAsync(long userId, long orderId, byte[] content, string? contentType, string? fileName, CancellationToken ct)
    {
        var type = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        if (content.LongLength > O.ProofMaxBytes)
            return RaffleResult.Fail(RaffleErrors.ProofTooLarge, $"The proof is larger than {O.ProofMaxBytes / 1024} KB.");
        if (content.Length == 0 || !O.ProofContentTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
            return RaffleResult.Fail(RaffleErrors.ProofType, $"Send a photo or a PDF ({string.Join(", ", O.ProofContentTypes)}).");
        var folder = Path.IsPathRooted(O.ProofFolder) ? O.ProofFolder : Path.Combine(env.ContentRootPath, O.ProofFolder);
        Directory.CreateDirectory(folder);
        var ext = type switch { "image/jpeg" => ".jpg", "image/png" => ".png", "image/webp" => ".webp", "application/pdf" => ".pdf", _ => ".bin" };
        // The name never comes from the customer, so it cannot point outside the folder.
        var path = Path.Combine(folder, $"order-{orderId}-{Guid.NewGuid():N}{ext}");
        await File.WriteAllBytesAsync(path, content, ct);
        var result = await RecordProofAsync(userId, orderId, path, type, content.LongLength, ct);
        if (!result.Ok) File.Delete(path);
        return result;
    }

    /// <summary>A proof the server has no bytes of (the sandbox keeps files in the browser): recorded by its reference, type and size, with the same limits.</summary>
    public Task<RaffleResult> AttachProofReferenceAsync(long userId, long orderId, string reference, string? contentType, long size, CancellationToken ct)
    {
        var type = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        if (size > O.ProofMaxBytes) return Task.FromResult(RaffleResult.Fail(RaffleErrors.ProofTooLarge, $"The proof is larger than {O.ProofMaxBytes / 1024} KB."));
        if (!O.ProofContentTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
            return Task.FromResult(RaffleResult.Fail(RaffleErrors.ProofType, $"Send a photo or a PDF ({string.Join(", ", O.ProofContentTypes)})."));
        return RecordProofAsync(userId, orderId, reference, type, size, ct);
    }

    private Task<RaffleResult> RecordProofAsync(long userId, long orderId, string path, string type, long size, CancellationToken ct) =>
        TransitionAsync(orderId, userId, async (o, now) =>
        {
            if (!RaffleOrderStatus.IsLive(o.Status) || Lapsed(o, now)) return Illegal(o, now, "attach a proof to");
            var n = await db.RaffleOrders.Where(x => x.Id == o.Id && (x.Status == RaffleOrderStatus.Draft || x.Status == RaffleOrderStatus.PendingPayment)
                                                     && (x.ExpiresAt == null || x.ExpiresAt > now))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, RaffleOrderStatus.PendingPayment)
                    .SetProperty(x => x.ConfirmedAt, x => x.ConfirmedAt ?? now).SetProperty(x => x.ExpiresAt, (DateTime?)null)
                    .SetProperty(x => x.PaidWith, "proof").SetProperty(x => x.ProofPath, path).SetProperty(x => x.ProofContentType, type)
                    .SetProperty(x => x.ProofBytes, size).SetProperty(x => x.ProofAt, now), ct);
            if (n != 1) return Illegal(o, now, "attach a proof to");
            // Held while the operator reviews it.
            await db.RaffleTickets.Where(t => t.OrderId == o.Id && t.Status == TicketStatus.Reserved)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.HeldUntil, (DateTime?)null), ct);
            return null;
        }, ct);

    /// <summary>An operator (or an online payment) confirms the money: PENDING_PAYMENT → PAID, the tickets SOLD, the customer told their numbers.</summary>
    public Task<RaffleResult> ConfirmPaymentAsync(long orderId, string paidWith, long? paymentId, CancellationToken ct) =>
        TransitionAsync(orderId, null, async (o, now) =>
        {
            if (o.Status != RaffleOrderStatus.PendingPayment || Lapsed(o, now)) return Illegal(o, now, "confirm payment of");
            var n = await db.RaffleOrders.Where(x => x.Id == o.Id && x.Status == RaffleOrderStatus.PendingPayment && (x.ExpiresAt == null || x.ExpiresAt > now))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, RaffleOrderStatus.Paid).SetProperty(x => x.PaidAt, now)
                    .SetProperty(x => x.ExpiresAt, (DateTime?)null).SetProperty(x => x.PaidWith, x => x.PaidWith ?? paidWith)
                    .SetProperty(x => x.PaymentId, paymentId), ct);
            if (n != 1) return Illegal(o, now, "confirm payment of");
            var sold = await db.RaffleTickets.Where(t => t.OrderId == o.Id && t.Status == TicketStatus.Reserved)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, TicketStatus.Sold).SetProperty(t => t.SoldAt, now).SetProperty(t => t.HeldUntil, (DateTime?)null), ct);
            // Every number of the order must still be its own; otherwise nothing changes.
            if (sold != o.TicketCount) return RaffleResult.Fail(RaffleErrors.IllegalTransition, $"Order {o.Id} no longer holds all its tickets.");
            await NotifyAsync(o, RaffleTexts.PaymentConfirmed, RaffleTemplates.PaymentConfirmed, ct);
            return null;
        }, ct);

    // Paying online (the raffle purpose of the payment model)

    public static string SaleRef(long orderId) => $"raffle:order:{orderId}";

    /// <summary>
    /// Null when the order can be paid online now at exactly this price (payment creation and Stars' pre-checkout),
    /// else the error code: an order whose hold has lapsed is not quoted again, the customer picks anew.
    /// </summary>
    public async Task<string?> CheckPayableAsync(Payment payment, CancellationToken ct)
    {
        if (!long.TryParse(payment.PurposeRef, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            return RaffleErrors.OrderNotFound;
        var o = await db.RaffleOrders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.UserId == payment.UserId, ct);
        if (o is null) return RaffleErrors.OrderNotFound;
        if (!RaffleOrderStatus.IsLive(o.Status) || Lapsed(o, Now)) return RaffleErrors.IllegalTransition;
        if (o.Amount != payment.Amount || !string.Equals(o.Currency, payment.Currency, StringComparison.OrdinalIgnoreCase)) return RaffleErrors.PriceMismatch;
        return null;
    }

    public async Task<DateTime?> HoldEndAsync(Payment payment, CancellationToken ct) =>
        long.TryParse(payment.PurposeRef, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? await db.RaffleOrders.AsNoTracking().Where(x => x.Id == id && x.UserId == payment.UserId).Select(x => x.ExpiresAt).FirstOrDefaultAsync(ct)
            : null;

    /// <summary>
    /// An online payment for a raffle order completed; runs in the completion's transaction. The money goes to the
    /// wallet under the payment's reference, then the order is paid from it: the order turns PAID and its tickets SOLD.
    /// A payment that arrives after the hold lapsed (or the job expired the order) still buys the same numbers when all
    /// of them are free and the raffle is on sale. Otherwise (numbers taken meanwhile, order cancelled or already paid,
    /// raffle closed) the money stays in the wallet and the customer is told: exactly one of the two.
    /// </summary>
    public async Task<PostResult> FulfilPaymentAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct)
    {
        var credit = await ledger.PostAsync(new Posting("deposit", currency,
            [new Leg(AccountRef.DepositsClearing(payment.Method.WireName()), -amount), new Leg(AccountRef.Wallet(payment.UserId), amount)])
        {
            ExternalRef = externalRef, Description = $"Payment #{payment.Id} ({payment.Method.WireName()}) for raffle order {payment.PurposeRef}",
        }, ct);
        if (!credit.Ok) return credit;

        var o = long.TryParse(payment.PurposeRef, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? await db.RaffleOrders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id && x.UserId == payment.UserId, ct) : null;
        var paid = o is not null && amount >= o.Amount && string.Equals(o.Currency, currency, StringComparison.OrdinalIgnoreCase)
                   && await PayFromWalletAsync(o, payment, ct);
        if (!paid)
        {
            if (o is not null) await NotifyKeptAsync(o, amount, currency, ct);
            else await NotifyUserAsync(payment.UserId, RaffleTexts.PaymentKeptNoOrder, Currencies.Format(amount, currency), ct);
        }
        return credit;
    }

    /// <summary>The sale from the wallet, all or nothing (a savepoint): order PAID, the numbers SOLD, the price debited once.</summary>
    private Task<bool> PayFromWalletAsync(RaffleOrder o, Payment payment, CancellationToken ct) =>
        tx.RunAsync(async () =>
        {
            var now = Now;
            var method = payment.Method.WireName();
            var inTime = RaffleOrderStatus.IsLive(o.Status) && !Lapsed(o, now);
            if (!inTime)
            {
                // Late: only the very numbers, and only while the raffle still sells.
                var active = await db.Raffles.AnyAsync(r => r.Id == o.RaffleId && r.Status == RaffleStatus.Active, ct);
                if (!active) return (false, false);
            }
            // The order row first: a racing expiry job or operator waits on it (PostgreSQL) and then finds it PAID.
            var n = await db.RaffleOrders
                .Where(x => x.Id == o.Id && (x.Status == RaffleOrderStatus.Draft || x.Status == RaffleOrderStatus.PendingPayment || x.Status == RaffleOrderStatus.Expired))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, RaffleOrderStatus.Paid).SetProperty(x => x.PaidAt, now)
                    .SetProperty(x => x.ConfirmedAt, x => x.ConfirmedAt ?? now).SetProperty(x => x.ExpiresAt, (DateTime?)null)
                    .SetProperty(x => x.ClosedAt, (DateTime?)null).SetProperty(x => x.PaidWith, method).SetProperty(x => x.PaymentId, payment.Id), ct);
            if (n != 1) return (false, false);
            var numbers = o.Numbers.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            // Its own held tickets, or (late) the same numbers if nobody holds them now.
            var sold = await db.RaffleTickets
                .Where(t => t.RaffleId == o.RaffleId && numbers.Contains(t.Number)
                            && ((t.OrderId == o.Id && t.Status == TicketStatus.Reserved)
                                || t.Status == TicketStatus.Available
                                || (t.Status == TicketStatus.Reserved && t.HeldUntil != null && t.HeldUntil <= now)))
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, TicketStatus.Sold).SetProperty(t => t.OrderId, o.Id)
                    .SetProperty(t => t.SoldAt, now).SetProperty(t => t.HeldUntil, (DateTime?)null), ct);
            if (sold != o.TicketCount) return (false, false);
            var debit = await ledger.PostAsync(new Posting("raffle_purchase", o.Currency,
                [new Leg(AccountRef.Wallet(o.UserId), -o.Amount), new Leg(AccountRef.SalesRevenue, o.Amount)])
            {
                ExternalRef = SaleRef(o.Id), Description = $"Raffle order {o.Id} ({o.TicketCount} tickets), payment #{payment.Id}",
            }, ct);
            if (!debit.Ok) return (false, false);
            await NotifyAsync(o, RaffleTexts.PaymentConfirmed, RaffleTemplates.PaymentConfirmed, ct);
            await db.SaveChangesAsync(ct);
            return (true, true);
        }, ct);

    private async Task NotifyKeptAsync(RaffleOrder o, long amount, string currency, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == o.UserId, ct);
        var raffle = await db.Raffles.AsNoTracking().FirstOrDefaultAsync(r => r.Id == o.RaffleId, ct);
        if (user is null || raffle is null) return;
        var money = Currencies.Format(amount, currency);
        var body = string.Format(System.Globalization.CultureInfo.InvariantCulture, RaffleTexts.PaymentKeptInWallet.In(user.LanguageCode), o.Id,
            RaffleTexts.H(raffle.Title), RaffleTexts.NumberList(raffle, o.Numbers), money);
        var m = outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id), body);
        m.Template = OutboxTemplate.Of(RaffleTemplates.PaymentKeptInWallet, o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), raffle.Title, money);
    }

    private async Task NotifyUserAsync(long userId, Localized text, string money, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null) return;
        outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id),
            string.Format(System.Globalization.CultureInfo.InvariantCulture, text.In(user.LanguageCode), money));
    }

    /// <summary>Cancels a live order and frees its tickets; a paid order keeps them. The customer is told when an operator cancels.</summary>
    public Task<RaffleResult> CancelAsync(long orderId, long? byUserId, string? reason, CancellationToken ct) =>
        TransitionAsync(orderId, byUserId, async (o, now) =>
        {
            if (!RaffleOrderStatus.IsLive(o.Status)) return Illegal(o, now, "cancel");
            var n = await db.RaffleOrders.Where(x => x.Id == o.Id && (x.Status == RaffleOrderStatus.Draft || x.Status == RaffleOrderStatus.PendingPayment))
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, RaffleOrderStatus.Cancelled).SetProperty(x => x.ClosedAt, now)
                    .SetProperty(x => x.ExpiresAt, (DateTime?)null).SetProperty(x => x.CancelReason, reason), ct);
            if (n != 1) return Illegal(o, now, "cancel");
            await ReleaseAsync(o.Id, ct);
            if (byUserId is null) await NotifyAsync(o, RaffleTexts.OrderCancelledByOperator, RaffleTemplates.OrderCancelled, ct);
            return null;
        }, ct);

    /// <summary>The recurring job: lapsed holds turn EXPIRED, their tickets AVAILABLE, and the customer is told.</summary>
    public Task<int> ReleaseExpiredAsync(CancellationToken ct) =>
        tx.RunAsync(async () =>
        {
            var now = Now;
            var ended = await ExpireLapsedAsync(db.RaffleOrders, now, ct);
            foreach (var o in ended) await NotifyAsync(o, RaffleTexts.OrderExpired, RaffleTemplates.OrderExpired, ct);
            await db.RaffleTickets.Where(t => t.Status == TicketStatus.Reserved && t.HeldUntil != null && t.HeldUntil <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, TicketStatus.Available).SetProperty(t => t.OrderId, (long?)null)
                    .SetProperty(t => t.HeldUntil, (DateTime?)null), ct);
            await db.SaveChangesAsync(ct);
            return (ended.Count, true);
        }, ct);

    private async Task<List<RaffleOrder>> ExpireLapsedAsync(IQueryable<RaffleOrder> scope, DateTime now, CancellationToken ct)
    {
        var lapsed = await scope.AsNoTracking()
            .Where(o => (o.Status == RaffleOrderStatus.Draft || o.Status == RaffleOrderStatus.PendingPayment) && o.ExpiresAt != null && o.ExpiresAt <= now)
            .ToListAsync(ct);
        var ended = new List<RaffleOrder>();
        foreach (var o in lapsed)
        {
            var n = await db.RaffleOrders.Where(x => x.Id == o.Id && (x.Status == RaffleOrderStatus.Draft || x.Status == RaffleOrderStatus.PendingPayment)
                                                     && x.ExpiresAt != null && x.ExpiresAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, RaffleOrderStatus.Expired).SetProperty(x => x.ClosedAt, now), ct);
            if (n == 0) continue;
            await ReleaseAsync(o.Id, ct);
            o.Status = RaffleOrderStatus.Expired;
            ended.Add(o);
        }
        return ended;
    }

    private Task<int> ReleaseAsync(long orderId, CancellationToken ct) =>
        db.RaffleTickets.Where(t => t.OrderId == orderId && t.Status == TicketStatus.Reserved)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, TicketStatus.Available).SetProperty(t => t.OrderId, (long?)null)
                .SetProperty(t => t.HeldUntil, (DateTime?)null), ct);

    private static bool Lapsed(RaffleOrder o, DateTime now) => o.ExpiresAt is { } e && e <= now;

    private static RaffleResult Illegal(RaffleOrder o, DateTime now, string what)
    {
        var state = RaffleOrderStatus.IsLive(o.Status) && Lapsed(o, now) ? RaffleOrderStatus.Expired : o.Status;
        return RaffleResult.Fail(RaffleErrors.IllegalTransition, $"Cannot {what} order {o.Id}: it is {state}.");
    }

    /// <summary>Runs a transition in one transaction; the step returns null when it succeeded (the order is read back).</summary>
    private async Task<RaffleResult> TransitionAsync(long orderId, long? userId, Func<RaffleOrder, DateTime, Task<RaffleResult?>> step, CancellationToken ct)
    {
        var r = await tx.RunAsync<RaffleResult>(async () =>
        {
            var now = Now;
            var o = await db.RaffleOrders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == orderId && (userId == null || x.UserId == userId), ct);
            if (o is null) return (RaffleResult.Fail(RaffleErrors.OrderNotFound, $"There is no raffle order {orderId}."), false);
            var failed = await step(o, now);
            if (failed is not null) return (failed, false);
            await db.SaveChangesAsync(ct);
            return (new RaffleResult(o), true);
        }, ct);
        if (!r.Ok) return r;
        return new RaffleResult(await db.RaffleOrders.AsNoTracking().FirstAsync(x => x.Id == orderId, ct));
    }

    /// <summary>Tells the customer in their chat, in their language. On WhatsApp outside the 24-hour window the row goes as the template.</summary>
    private async Task NotifyAsync(RaffleOrder o, Localized text, string template, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == o.UserId, ct);
        var raffle = await db.Raffles.AsNoTracking().FirstOrDefaultAsync(r => r.Id == o.RaffleId, ct);
        if (user is null || raffle is null) return;
        var numbers = RaffleTexts.NumberList(raffle, o.Numbers);
        var body = string.Format(System.Globalization.CultureInfo.InvariantCulture, text.In(user.LanguageCode), o.Id, RaffleTexts.H(raffle.Title), numbers);
        var m = outbox.SendText(new ChatTarget(user.Channel, user.ExternalId, user.Id), body);
        m.Template = OutboxTemplate.Of(template, o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), raffle.Title, numbers);
    }
}

/// <summary>Template keys (WhatsApp:Templates:&lt;key&gt;) for the notifications that may go out after the 24-hour window.</summary>
public static class RaffleTemplates
{
    public const string PaymentConfirmed = "raffle_payment_confirmed";
    public const string OrderCancelled = "raffle_order_cancelled";
    public const string OrderExpired = "raffle_order_expired";
    public const string PaymentKeptInWallet = "raffle_payment_in_wallet";
}

/// <summary>The recurring job <c>raffles.orders-expiry</c>.</summary>
public sealed class RaffleExpiryJob(RaffleOrders orders) : IJobHandler
{
    public const string JobType = "raffles.orders-expiry";

    public Task HandleAsync(JobContext job, CancellationToken ct) => orders.ReleaseExpiredAsync(ct);
}

/// <summary>Raffle orders paid online (Stars, Stripe, Robokassa, crypto): the <c>raffle</c> purpose of the payment model.</summary>
internal sealed class RafflePaymentFulfilment(RaffleOrders orders, Ledger ledger) : IPaymentFulfilment
{
    public PaymentPurpose Purpose => PaymentPurpose.Raffle;

    public Task<string?> CheckAvailableAsync(Payment payment, CancellationToken ct) => orders.CheckPayableAsync(payment, ct);

    /// <summary>A crypto quote is held as long as the numbers are (until a proof stops the clock: then the default).</summary>
    public Task<DateTime?> QuoteUntilAsync(Payment payment, CancellationToken ct) => orders.HoldEndAsync(payment, ct);

    public Task<PostResult> FulfilAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        orders.FulfilPaymentAsync(payment, amount, currency, externalRef, ct);

    // As for shop orders: a refund takes the money back from the wallet; sold tickets stay sold, so the refund is
    // refused by the wallet's balance condition unless the payment was kept there.
    public Task<PostResult> ReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        ledger.PostAsync(new Posting("refund", currency,
            [new Leg(AccountRef.Wallet(payment.UserId), -amount), new Leg(AccountRef.Refunds, amount)])
        { ExternalRef = externalRef, Description = $"Refund of raffle payment #{payment.Id}" }, ct);

    public Task<PostResult> UndoReverseAsync(Payment payment, long amount, string currency, string externalRef, CancellationToken ct) =>
        ledger.PostAsync(new Posting("refund_undo", currency,
            [new Leg(AccountRef.Refunds, -amount), new Leg(AccountRef.Wallet(payment.UserId), amount)])
        { ExternalRef = externalRef, Description = $"Refund of raffle payment #{payment.Id} failed at the provider; credit restored" }, ct);
}
