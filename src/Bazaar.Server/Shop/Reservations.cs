using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Shop;

/// <summary>Stable error codes of the shop, shared by chat, REST (ProblemDetails code) and payments.</summary>
public static class ShopErrors
{
    public const string SoldOut = "sold_out";
    public const string ReservationExpired = "reservation_expired";
    public const string InsufficientFunds = "insufficient_funds";
    public const string TooManyReservations = "too_many_reservations";
    public const string ProductNotFound = "product_not_found";
    public const string ReservationNotFound = "reservation_not_found";
}

public sealed record ReserveResult(Reservation? Reservation, string? Error);

public static class StockQueries
{
    /// <summary>Units a sale may take now: available, or held by a reservation that has expired (even before the clean-up job ran).</summary>
    public static IQueryable<StockUnit> Free(this IQueryable<StockUnit> units, DateTime now) =>
        units.Where(u => u.Status == UnitStatus.Available || (u.Status == UnitStatus.Reserved && u.HeldUntil <= now));
}

/// <summary>
/// "Buy": holds one unit and its price for Shop:ReservationMinutes. The unit is claimed by a conditional UPDATE
/// (never read-then-write), so two buyers never hold the same unit; an expired hold is taken over as if free.
/// </summary>
public sealed class Reservations(BazaarDb db, ShopTransaction shopTx, IOptions<ShopOptions> options, TimeProvider clock)
{
    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    public Task<int> FreeStockAsync(long productId, CancellationToken ct) =>
        db.StockUnits.Where(u => u.ProductId == productId).Free(Now).CountAsync(ct);

    /// <summary>The user's holds that are still running.</summary>
    public Task<List<Reservation>> ActiveAsync(long userId, CancellationToken ct)
    {
        var now = Now;
        return db.Reservations.AsNoTracking()
            .Where(r => r.UserId == userId && r.Status == ReservationStatus.Active && r.ExpiresAt > now)
            .OrderBy(r => r.ExpiresAt).ToListAsync(ct);
    }

    public async Task<ReserveResult> ReserveAsync(long userId, long productId, CancellationToken ct)
    {
        var o = options.Value;
        var now = Now;
        // The product and whether a unit looks free, in one round trip: in a flash sale almost every attempt ends here
        // with a fast sold-out answer and no write. Only the claim below decides for real.
        var found = await db.Products.AsNoTracking().Where(p => p.Id == productId && p.IsActive)
            .Select(p => new
            {
                Product = p,
                AnyFree = db.StockUnits.Any(u => u.ProductId == productId &&
                    (u.Status == UnitStatus.Available || (u.Status == UnitStatus.Reserved && u.HeldUntil <= now))),
            })
            .FirstOrDefaultAsync(ct);
        if (found is null) return new(null, ShopErrors.ProductNotFound);
        var product = found.Product;
        var hasStock = ProductKind.HasStock(product.Kind);
        if (hasStock && !found.AnyFree) return new(null, ShopErrors.SoldOut);
        var price = Pricing.For(product, o.Currency, now);

        // The user's active holds, read before the write transaction: the slot they leave free is only a first guess,
        // the unique index on (user, slot) decides (see below), so the writer is not held for this read.
        var max = Math.Max(1, o.MaxActiveReservations);
        var holds = await db.Reservations.Where(x => x.UserId == userId && x.Status == ReservationStatus.Active)
            .Select(x => new { x.Slot, x.ExpiresAt }).ToListAsync(ct);

        return await shopTx.RunAsync<ReserveResult>(async () =>
        {
            var taken = holds.Where(h => h.ExpiresAt > now).Select(h => h.Slot).ToList();
            // A lapsed hold frees its slot now, whatever the clean-up job's schedule; the UPDATE that closes it runs
            // only when one was seen (in a flash sale there almost never is) or when every slot looks taken.
            if (taken.Count < holds.Count || taken.Count >= max) taken = await FreeLapsedAndReadSlotsAsync(userId, now, ct);

            // The unit is picked before the hold is written, so the reservation row carries its UnitId from the start
            // (no insert-then-update). On PostgreSQL the pick locks the row (SKIP LOCKED: racing buyers pick different
            // units); on SQLite the write gate already makes this the only writer. The claim below re-checks it anyway.
            long? unit = null;
            if (hasStock)
            {
                unit = await PickUnitAsync(productId, now, ct);
                if (unit is null) return (new(null, ShopErrors.SoldOut), false);
            }

            var insert = RowInsert.For<Reservation>(db, skipConflicts: true);
            Reservation? r = null;
            // A racing reserve of the same user may take the free slot first: the filtered unique index on (user, slot)
            // skips the second insert (ON CONFLICT DO NOTHING, no error, no savepoint), which then looks again (the
            // winner is committed by then) until every slot is taken.
            for (var attempt = 0; attempt < max && r is null; attempt++)
            {
                var slot = Enumerable.Range(1, max).FirstOrDefault(s => !taken.Contains(s));
                if (slot == 0) break;
                var candidate = new Reservation
                {
                    UserId = userId, ProductId = productId, UnitId = unit, Slot = slot, OriginalPrice = price.Base,
                    DiscountPercent = price.DiscountPercent, FinalPrice = price.Final, Currency = price.Currency, CreatedAt = now,
                    ExpiresAt = now.AddMinutes(o.ReservationMinutes),
                };
                if (await insert.TryInsertAsync(db, candidate, ct) is { } id)
                {
                    candidate.Id = id;
                    r = candidate;
                }
                else taken = await FreeLapsedAndReadSlotsAsync(userId, now, ct);
            }
            if (r is null) return (new(null, ShopErrors.TooManyReservations), false);

            if (unit is { } u && !await HoldUnitAsync(u, r.Id, r.ExpiresAt, now, ct))
                return (new(null, ShopErrors.SoldOut), false);
            return (new(r, null), true);
        }, ct);
    }

    /// <summary>The user's lapsed holds turn EXPIRED (freeing their slots); answers the slots of the holds still running.
    /// Prepared statements: this runs inside the write turn, where a first-time EF query compilation held every other writer for 50 ms.</summary>
    private async Task<List<int>> FreeLapsedAndReadSlotsAsync(long userId, DateTime now, CancellationToken ct)
    {
        var expire = db.HotCommand($"""
            UPDATE shop_reservations SET "Status" = '{ReservationStatus.Expired}', "ClosedAt" = @now
            WHERE "UserId" = @u AND "Status" = '{ReservationStatus.Active}' AND "ExpiresAt" <= @now
            """, "@now", "@u");
        expire.Parameters[0].Value = now;
        expire.Parameters[1].Value = userId;
        await expire.ExecuteNonQueryAsync(ct);
        var slots = db.HotCommand($"""
            SELECT "Slot" FROM shop_reservations WHERE "UserId" = @u AND "Status" = '{ReservationStatus.Active}'
            """, "@u");
        slots.Parameters[0].Value = userId;
        var result = new List<int>();
        await using var r = await slots.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result.Add(r.GetInt32(0));
        return result;
    }

    private const string FreeUnit = $"""("Status" = '{UnitStatus.Available}' OR ("Status" = '{UnitStatus.Reserved}' AND "HeldUntil" <= @now))""";

    /// <summary>The first free unit of the product, or null; on PostgreSQL locked for this transaction, skipping units another buyer is taking.</summary>
    private async Task<long?> PickUnitAsync(long productId, DateTime now, CancellationToken ct)
    {
        var cmd = db.HotCommand($"""
            SELECT "Id" FROM shop_stock_units WHERE "ProductId" = @p AND {FreeUnit} ORDER BY "Id" LIMIT 1{(db.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "")}
            """, "@p", "@now");
        cmd.Parameters[0].Value = productId;
        cmd.Parameters[1].Value = now;
        var id = await cmd.ExecuteScalarAsync(ct);
        return id is null or DBNull ? null : Convert.ToInt64(id);
    }

    /// <summary>
    /// The guard against overselling: the picked unit turns RESERVED for this reservation only if it is still free,
    /// in one conditional UPDATE (PostgreSQL re-checks the condition on the locked row).
    /// </summary>
    internal async Task<bool> HoldUnitAsync(long unitId, long reservationId, DateTime heldUntil, DateTime now, CancellationToken ct)
    {
        var cmd = db.HotCommand($"""
            UPDATE shop_stock_units SET "Status" = '{UnitStatus.Reserved}', "ReservationId" = @r, "HeldUntil" = @until
            WHERE "Id" = @u AND {FreeUnit}
            """, "@r", "@until", "@u", "@now");
        cmd.Parameters[0].Value = reservationId;
        cmd.Parameters[1].Value = heldUntil;
        cmd.Parameters[2].Value = unitId;
        cmd.Parameters[3].Value = now;
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>
    /// Takes one free unit for the reservation in one conditional UPDATE and returns its id, or null when none is free.
    /// On PostgreSQL SKIP LOCKED lets racing buyers pick different units instead of queueing on the same row; the outer
    /// condition is re-checked on the locked row either way.
    /// </summary>
    internal async Task<long?> ClaimUnitAsync(long productId, long reservationId, DateTime heldUntil, DateTime now, CancellationToken ct)
    {
        var available = UnitStatus.Available;
        var reserved = UnitStatus.Reserved;
        var ids = db.IsPostgres
            ? await db.Database.SqlQuery<long>($"""
                UPDATE shop_stock_units SET "Status" = {reserved}, "ReservationId" = {reservationId}, "HeldUntil" = {heldUntil}
                WHERE "Id" = (SELECT "Id" FROM shop_stock_units
                              WHERE "ProductId" = {productId} AND ("Status" = {available} OR ("Status" = {reserved} AND "HeldUntil" <= {now}))
                              ORDER BY "Id" LIMIT 1 FOR UPDATE SKIP LOCKED)
                  AND ("Status" = {available} OR ("Status" = {reserved} AND "HeldUntil" <= {now}))
                RETURNING "Id" AS "Value"
                """).ToListAsync(ct)
            : await db.Database.SqlQuery<long>($"""
                UPDATE shop_stock_units SET "Status" = {reserved}, "ReservationId" = {reservationId}, "HeldUntil" = {heldUntil}
                WHERE "Id" = (SELECT "Id" FROM shop_stock_units
                              WHERE "ProductId" = {productId} AND ("Status" = {available} OR ("Status" = {reserved} AND "HeldUntil" <= {now}))
                              ORDER BY "Id" LIMIT 1)
                  AND ("Status" = {available} OR ("Status" = {reserved} AND "HeldUntil" <= {now}))
                RETURNING "Id" AS "Value"
                """).ToListAsync(ct);
        return ids.Count == 0 ? null : ids[0];
    }

    /// <summary>The Cancel button: the hold ends and its unit is free at once.</summary>
    public Task<bool> CancelAsync(long userId, long reservationId, CancellationToken ct) =>
        shopTx.RunAsync(async () =>
        {
            var now = Now;
            var n = await db.Reservations.Where(r => r.Id == reservationId && r.UserId == userId && r.Status == ReservationStatus.Active)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, ReservationStatus.Cancelled).SetProperty(r => r.ClosedAt, now), ct);
            if (n == 0) return (false, false);
            await ReleaseUnitsOfAsync(reservationId, ct);
            return (true, true);
        }, ct);

    private Task<int> ReleaseUnitsOfAsync(long reservationId, CancellationToken ct) =>
        db.StockUnits.Where(u => u.ReservationId == reservationId && u.Status == UnitStatus.Reserved)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UnitStatus.Available)
                .SetProperty(u => u.ReservationId, (long?)null).SetProperty(u => u.HeldUntil, (DateTime?)null), ct);

    /// <summary>The clean-up job: lapsed holds turn EXPIRED and their units available. Returns how many holds ended.</summary>
    public Task<int> ReleaseExpiredAsync(CancellationToken ct) =>
        shopTx.RunAsync(async () =>
        {
            var now = Now;
            var n = await db.Reservations.Where(r => r.Status == ReservationStatus.Active && r.ExpiresAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, ReservationStatus.Expired).SetProperty(r => r.ClosedAt, now), ct);
            await db.StockUnits.Where(u => u.Status == UnitStatus.Reserved && u.HeldUntil <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.Status, UnitStatus.Available)
                    .SetProperty(u => u.ReservationId, (long?)null).SetProperty(u => u.HeldUntil, (DateTime?)null), ct);
            return (n, true);
        }, ct);
}

/// <summary>The recurring job <c>shop.reservations-cleanup</c>.</summary>
public sealed class ReservationCleanupJob(Reservations reservations) : IJobHandler
{
    public const string JobType = "shop.reservations-cleanup";

    public Task HandleAsync(JobContext job, CancellationToken ct) => reservations.ReleaseExpiredAsync(ct);
}
