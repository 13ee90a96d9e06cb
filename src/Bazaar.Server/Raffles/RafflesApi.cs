using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;
using Bazaar.Server.Hosting;
using Bazaar.Server.Wallet;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Raffles;

/// <summary>The operators' raffle API (API key or dashboard login): raffles, tickets, orders, the draw.</summary>
public static class RafflesApi
{
    public sealed record RaffleRequest(string Title, string? Description, string? Prize, long TicketPrice, string? Currency, int NumberFrom, int NumberTo,
        int MaxTicketsPerOrder, DateTime? DrawAt, string? Status);
    public sealed record RaffleView(long Id, string Title, string Description, string Prize, long TicketPrice, decimal TicketPriceMajor, string Currency,
        int NumberFrom, int NumberTo, string NumberFormat, int MaxTicketsPerOrder, DateTime? DrawAt, string Status, DateTime? TicketsGeneratedAt,
        string? DrawCommitment, string? DrawSeed, string? ParticipantListHash, int? WinningNumber, long? WinningOrderId, DateTime? DrawnAt,
        DateTime CreatedAt, DateTime UpdatedAt);
    public sealed record Availability(long RaffleId, int Total, int Available, int Reserved, int Sold);
    public sealed record TicketView(int Number, string Label, string Status, long? OrderId, DateTime? HeldUntil, DateTime? SoldAt);
    public sealed record Generated(long RaffleId, int Created, int Total);
    public sealed record OrderView(long Id, long RaffleId, long UserId, string Channel, string Contact, string? ContactName, string Status,
        IReadOnlyList<int> Numbers, int TicketCount, long Amount, string Currency, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? ConfirmedAt,
        DateTime? PaidAt, DateTime? ClosedAt, string? PaidWith, long? PaymentId, bool HasProof, string? ProofContentType, long? ProofBytes,
        DateTime? ProofAt, string? CancelReason);
    public sealed record CancelRequest(string? Reason);
    public sealed record DrawView(long RaffleId, int WinningNumber, long WinningOrderId, string Commitment, string Seed, string ParticipantListHash,
        int SoldTickets, string Method);

    public const int OrdersPageSize = 50;

    public static IEndpointRouteBuilder MapRafflesApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/v1/raffles").RequireAuthorization(AdminModule.Policy).WithTags("Raffles");
        g.MapGet("/", List).WithName("ListRaffles").WithSummary("Raffles, newest first, optionally by status");
        g.MapGet("/{id:long}", Get).WithName("GetRaffle").WithSummary("One raffle (the draw seed is shown once it is drawn)");
        g.MapPost("/", Create).WithName("CreateRaffle").WithSummary("Create a raffle (its draw commitment is fixed now)");
        g.MapPut("/{id:long}", Update).WithName("UpdateRaffle").WithSummary("Replace a raffle's fields; the number range is locked once tickets exist");
        g.MapDelete("/{id:long}", Delete).WithName("DeleteRaffle").WithSummary("Delete a raffle that has no orders");
        g.MapPost("/{id:long}/generate-tickets", Generate).WithName("GenerateRaffleTickets")
            .WithSummary("Create one ticket per number (idempotent); force regenerates, only while nothing is reserved or sold");
        g.MapGet("/{id:long}/availability", GetAvailability).WithName("RaffleAvailability").WithSummary("Ticket counts by status (lapsed holds count as available)");
        g.MapGet("/{id:long}/tickets", Tickets).WithName("ListRaffleTickets").WithSummary("Tickets by number, filtered by status, paged");
        g.MapPost("/{id:long}/draw", Draw).WithName("DrawRaffle")
            .WithSummary("Close sales and draw the winning number over the sold tickets with the provably fair draw (Giveaways/FairDraw)");

        var o = app.MapGroup("/api/v1/raffle-orders").RequireAuthorization(AdminModule.Policy).WithTags("Raffles");
        o.MapGet("/", Orders).WithName("ListRaffleOrders").WithSummary("Orders filtered by status, raffle and contact; 50 per page, newest first");
        o.MapGet("/pending-payment", PendingPayment).WithName("PendingRaffleOrders").WithSummary("Orders waiting for an operator or a payment, oldest first");
        o.MapGet("/{id:long}", GetOrder).WithName("GetRaffleOrder").WithSummary("One order");
        o.MapGet("/{id:long}/proof", Proof).WithName("GetRaffleOrderProof").WithSummary("The payment proof the customer sent");
        o.MapPost("/{id:long}/confirm-payment", ConfirmPayment).WithName("ConfirmRafflePayment")
            .WithSummary("PENDING_PAYMENT → PAID: tickets SOLD, the customer is told their numbers; 409 from any other state");
        o.MapPost("/{id:long}/cancel", Cancel).WithName("CancelRaffleOrder").WithSummary("Cancel a live order: tickets released, customer told; 409 for paid or closed orders");
        return app;
    }

    private static RaffleView View(Raffle r) => new(r.Id, r.Title, r.Description, r.Prize, r.TicketPrice, Currencies.ToMajor(r.TicketPrice, r.Currency), r.Currency,
        r.NumberFrom, r.NumberTo, new string('0', r.NumberTo.ToString(System.Globalization.CultureInfo.InvariantCulture).Length), r.MaxTicketsPerOrder, r.DrawAt,
        r.Status, r.TicketsGeneratedAt, r.DrawCommitment, r.Status == RaffleStatus.Drawn ? r.DrawSeed : null, r.ParticipantListHash, r.WinningNumber,
        r.WinningOrderId, r.DrawnAt, r.CreatedAt, r.UpdatedAt);

    private static ProblemHttpResult Fail(string code, string detail) => Problems.Make(RaffleErrors.HttpStatus(code),
        RaffleErrors.HttpStatus(code) switch { 404 => "Not found", 400 => "Bad request", 413 => "Payload too large", 415 => "Unsupported media type", _ => "Conflict" },
        code, detail);

    internal static async Task<Results<Ok<Paged<RaffleView>>, ProblemHttpResult>> List(BazaarDb db, CancellationToken ct, string? status = null, int page = 1, int pageSize = 50)
    {
        if (status is not null && !RaffleStatus.All.Contains(status.ToUpperInvariant())) return Problems.InvalidStatus(RaffleStatus.All);
        var q = db.Raffles.AsNoTracking();
        if (status is not null) q = q.Where(r => r.Status == status.ToUpperInvariant());
        var p = await Paged<Raffle>.Of(q.OrderByDescending(r => r.Id), page, pageSize, ct);
        return TypedResults.Ok(new Paged<RaffleView>(p.Items.Select(View).ToList(), p.Page, p.PageSize, p.Total));
    }

    internal static async Task<Results<Ok<RaffleView>, ProblemHttpResult>> Get(long id, BazaarDb db, CancellationToken ct) =>
        await db.Raffles.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct) is { } r
            ? TypedResults.Ok(View(r)) : Problems.NotFound(RaffleErrors.RaffleNotFound, $"There is no raffle {id}.");

    private static ProblemHttpResult? Validate(RaffleRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.Title) || r.Title.Length > 200) return Problems.BadRequest("title_invalid", "A title of 1-200 characters is required.");
        if (r.TicketPrice <= 0) return Problems.BadRequest("price_invalid", "ticketPrice (minor units) must be positive.");
        if (r.NumberFrom < 0 || r.NumberTo < r.NumberFrom || r.NumberTo - r.NumberFrom + 1 > 100_000)
            return Problems.BadRequest("range_invalid", "numberFrom..numberTo must be a range of 1 to 100000 non-negative numbers.");
        if (r.MaxTicketsPerOrder is < 1 or > 1000) return Problems.BadRequest("max_tickets_invalid", "maxTicketsPerOrder must be 1-1000.");
        if (r.Status is not null && !RaffleStatus.All.Contains(r.Status)) return Problems.BadRequest("status_invalid", $"status is one of {string.Join(", ", RaffleStatus.All)}.");
        if (r.Status == RaffleStatus.Drawn) return Problems.BadRequest("status_invalid", "A raffle becomes drawn through POST /draw.");
        if (r.Currency is { } c && !Currencies.IsKnown(Currencies.Normalize(c))) return Problems.BadRequest("currency_invalid", $"Unknown currency {c}.");
        return null;
    }

    private static void Apply(Raffle x, RaffleRequest r, DateTime now)
    {
        x.Title = r.Title.Trim();
        x.Description = r.Description ?? "";
        x.Prize = r.Prize ?? "";
        x.TicketPrice = r.TicketPrice;
        x.Currency = Currencies.Normalize(r.Currency ?? x.Currency);
        x.NumberFrom = r.NumberFrom;
        x.NumberTo = r.NumberTo;
        x.MaxTicketsPerOrder = r.MaxTicketsPerOrder;
        x.DrawAt = r.DrawAt;
        x.Status = r.Status ?? x.Status;
        x.UpdatedAt = now;
    }

    internal static async Task<Results<Created<RaffleView>, ProblemHttpResult>> Create(RaffleRequest request, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        if (Validate(request) is { } bad) return bad;
        var now = clock.GetUtcNow().UtcDateTime;
        var seed = FairDraw.NewSeed();
        var r = new Raffle { Title = "", Currency = "USD", CreatedAt = now, DrawSeed = Convert.ToHexStringLower(seed), DrawCommitment = FairDraw.Commitment(seed) };
        Apply(r, request, now);
        db.Raffles.Add(r);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/v1/raffles/{r.Id}", View(r));
    }

    internal static async Task<Results<Ok<RaffleView>, ProblemHttpResult>> Update(long id, RaffleRequest request, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        var r = await db.Raffles.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (r is null) return Problems.NotFound(RaffleErrors.RaffleNotFound, $"There is no raffle {id}.");
        if (Validate(request) is { } bad) return bad;
        if (r.Status == RaffleStatus.Drawn) return Problems.Conflict("raffle_drawn", "A drawn raffle cannot change.");
        if (r.TicketsGeneratedAt is not null && (request.NumberFrom != r.NumberFrom || request.NumberTo != r.NumberTo))
            return Problems.Conflict("range_locked", "Tickets exist; regenerate them with force (while none is reserved or sold) after changing the range.");
        if (request.Status == RaffleStatus.Active && r.TicketsGeneratedAt is null)
            return Problems.Conflict("tickets_missing", "Generate the tickets before activating the raffle.");
        Apply(r, request, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(r));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(long id, BazaarDb db, CancellationToken ct)
    {
        var r = await db.Raffles.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (r is null) return Problems.NotFound(RaffleErrors.RaffleNotFound, $"There is no raffle {id}.");
        if (await db.RaffleOrders.AnyAsync(o => o.RaffleId == id, ct))
            return Problems.Conflict("raffle_in_use", "The raffle has orders; close it instead.");
        db.Raffles.Remove(r);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    internal static async Task<Results<Ok<Generated>, ProblemHttpResult>> Generate(long id, RaffleOrders orders, BazaarDb db, CancellationToken ct, bool force = false)
    {
        var (created, error, detail) = await orders.GenerateAsync(id, force, ct);
        if (error is not null) return Fail(error, detail!);
        return TypedResults.Ok(new Generated(id, created, await db.RaffleTickets.CountAsync(t => t.RaffleId == id, ct)));
    }

    internal static async Task<Results<Ok<Availability>, ProblemHttpResult>> GetAvailability(long id, BazaarDb db, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.Raffles.AnyAsync(r => r.Id == id, ct)) return Problems.NotFound(RaffleErrors.RaffleNotFound, $"There is no raffle {id}.");
        var c = await TicketQueries.CountsAsync(db, id, clock.GetUtcNow().UtcDateTime, ct);
        return TypedResults.Ok(new Availability(id, c.Values.Sum(), c[TicketStatus.Available], c[TicketStatus.Reserved], c[TicketStatus.Sold]));
    }

    internal static async Task<Results<Ok<Paged<TicketView>>, ProblemHttpResult>> Tickets(long id, BazaarDb db, TimeProvider clock, CancellationToken ct,
        string? status = null, int page = 1, int pageSize = 100)
    {
        var raffle = await db.Raffles.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (raffle is null) return Problems.NotFound(RaffleErrors.RaffleNotFound, $"There is no raffle {id}.");
        if (status is not null && !TicketStatus.All.Contains(status.ToUpperInvariant()))
            return Problems.InvalidStatus(TicketStatus.All);
        var now = clock.GetUtcNow().UtcDateTime;
        var q = db.RaffleTickets.AsNoTracking().Where(t => t.RaffleId == id);
        // As readers see them: a lapsed hold is available.
        q = status?.ToUpperInvariant() switch
        {
            TicketStatus.Available => q.Free(now),
            TicketStatus.Reserved => q.Where(t => t.Status == TicketStatus.Reserved && (t.HeldUntil == null || t.HeldUntil > now)),
            TicketStatus.Sold => q.Where(t => t.Status == TicketStatus.Sold),
            _ => q,
        };
        var p = await Paged<RaffleTicket>.Of(q.OrderBy(t => t.Number), page, pageSize, ct);
        var items = p.Items.Select(t =>
        {
            var lapsed = t.Status == TicketStatus.Reserved && t.HeldUntil is { } h && h <= now;
            return new TicketView(t.Number, raffle.Format(t.Number), lapsed ? TicketStatus.Available : t.Status, lapsed ? null : t.OrderId,
                lapsed ? null : t.HeldUntil, t.SoldAt);
        }).ToList();
        return TypedResults.Ok(new Paged<TicketView>(items, p.Page, p.PageSize, p.Total));
    }

    internal static async Task<Results<Ok<DrawView>, ProblemHttpResult>> Draw(long id, BazaarDb db, TimeProvider clock, CancellationToken ct, string? beacon = null)
    {
        var r = await db.Raffles.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (r is null) return Problems.NotFound(RaffleErrors.RaffleNotFound, $"There is no raffle {id}.");
        if (r.Status == RaffleStatus.Drawn) return Problems.Conflict("raffle_drawn", "The raffle is drawn already.");
        var sold = await db.RaffleTickets.AsNoTracking().Where(t => t.RaffleId == id && t.Status == TicketStatus.Sold)
            .Select(t => new { t.Number, t.OrderId }).ToListAsync(ct);
        if (sold.Count == 0) return Problems.Conflict("no_tickets_sold", "No ticket is sold; there is nothing to draw.");
        // The one provably fair draw, over the sold ticket numbers (shared with giveaways).
        var outcome = FairDraw.Draw(new DrawInput(FairDraw.RaffleDomain, r.Id, Convert.FromHexString(r.DrawSeed!), beacon ?? "",
            sold.Select(t => (long)t.Number).ToList()), 1);
        var number = (int)outcome.Winners[0];
        var now = clock.GetUtcNow().UtcDateTime;
        r.Status = RaffleStatus.Drawn;
        r.WinningNumber = number;
        r.WinningOrderId = sold.First(t => t.Number == number).OrderId;
        r.ParticipantListHash = outcome.ParticipantListHash;
        r.DrawnAt = now;
        r.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new DrawView(r.Id, number, r.WinningOrderId!.Value, r.DrawCommitment!, r.DrawSeed!, outcome.ParticipantListHash, sold.Count, FairDraw.Method));
    }

    // Orders

    public sealed record OrderRow(RaffleOrder Order, string Channel, string Contact, string? Name);

    private static IQueryable<OrderRow> Rows(BazaarDb db, IQueryable<RaffleOrder> q) =>
        from o in q join u in db.Users on o.UserId equals u.Id select new OrderRow(o, u.Channel, u.ExternalId, u.FirstName);

    public static OrderView View(OrderRow row)
    {
        var o = row.Order;
        var numbers = o.Numbers.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(n => int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return new OrderView(o.Id, o.RaffleId, o.UserId, row.Channel, row.Contact, row.Name, o.Status, numbers, o.TicketCount, o.Amount, o.Currency,
            o.CreatedAt, o.ExpiresAt, o.ConfirmedAt, o.PaidAt, o.ClosedAt, o.PaidWith, o.PaymentId, o.ProofPath != null, o.ProofContentType, o.ProofBytes,
            o.ProofAt, o.CancelReason);
    }

    internal static async Task<Results<Ok<Paged<OrderView>>, ProblemHttpResult>> Orders(BazaarDb db, CancellationToken ct, string? status = null,
        long? raffleId = null, string? contact = null, long? userId = null, int page = 1)
    {
        if (status is not null && !RaffleOrderStatus.All.Contains(status.ToUpperInvariant()))
            return Problems.InvalidStatus(RaffleOrderStatus.All);
        var q = db.RaffleOrders.AsNoTracking();
        if (status is not null) q = q.Where(o => o.Status == status.ToUpperInvariant());
        if (raffleId is not null) q = q.Where(o => o.RaffleId == raffleId);
        if (userId is not null) q = q.Where(o => o.UserId == userId);
        if (contact is not null) q = q.Where(o => db.Users.Any(u => u.Id == o.UserId && u.ExternalId == contact));
        var p = await Paged<OrderRow>.Of(Rows(db, q.OrderByDescending(o => o.Id)), page, OrdersPageSize, ct);
        return TypedResults.Ok(new Paged<OrderView>(p.Items.Select(View).ToList(), p.Page, p.PageSize, p.Total));
    }

    internal static async Task<Ok<Paged<OrderView>>> PendingPayment(BazaarDb db, CancellationToken ct, long? raffleId = null, int page = 1)
    {
        var q = db.RaffleOrders.AsNoTracking().Where(o => o.Status == RaffleOrderStatus.PendingPayment);
        if (raffleId is not null) q = q.Where(o => o.RaffleId == raffleId);
        var p = await Paged<OrderRow>.Of(Rows(db, q.OrderBy(o => o.Id)), page, OrdersPageSize, ct);
        return TypedResults.Ok(new Paged<OrderView>(p.Items.Select(View).ToList(), p.Page, p.PageSize, p.Total));
    }

    internal static async Task<Results<Ok<OrderView>, ProblemHttpResult>> GetOrder(long id, BazaarDb db, CancellationToken ct) =>
        await Rows(db, db.RaffleOrders.AsNoTracking().Where(o => o.Id == id)).FirstOrDefaultAsync(ct) is { } v
            ? TypedResults.Ok(View(v)) : Problems.NotFound(RaffleErrors.OrderNotFound, $"There is no raffle order {id}.");

    internal static async Task<Results<PhysicalFileHttpResult, ProblemHttpResult>> Proof(long id, BazaarDb db, CancellationToken ct)
    {
        var o = await db.RaffleOrders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (o is null) return Problems.NotFound(RaffleErrors.OrderNotFound, $"There is no raffle order {id}.");
        if (o.ProofPath is null || !File.Exists(o.ProofPath)) return Problems.NotFound("proof_not_found", "This order has no stored proof.");
        return TypedResults.PhysicalFile(o.ProofPath, o.ProofContentType ?? "application/octet-stream", Path.GetFileName(o.ProofPath));
    }

    private static async Task<Results<Ok<OrderView>, ProblemHttpResult>> Answer(RaffleResult r, BazaarDb db, CancellationToken ct) =>
        r.Ok ? await GetOrder(r.Order!.Id, db, ct) : Fail(r.Error!, r.Detail!);

    internal static async Task<Results<Ok<OrderView>, ProblemHttpResult>> ConfirmPayment(long id, RaffleOrders orders, BazaarDb db, CancellationToken ct) =>
        await Answer(await orders.ConfirmPaymentAsync(id, "manual", null, ct), db, ct);

    internal static async Task<Results<Ok<OrderView>, ProblemHttpResult>> Cancel(long id, RaffleOrders orders, BazaarDb db, CancellationToken ct,
        [FromBody] CancelRequest? request = null) =>
        await Answer(await orders.CancelAsync(id, null, request?.Reason, ct), db, ct);
}
