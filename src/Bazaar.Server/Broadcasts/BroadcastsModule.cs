using System.Security.Claims;
using System.Text.Json.Serialization;
using Bazaar.Server.Admin;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Jobs;
using Bazaar.Server.Referrals;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Server.Broadcasts;

public static class BroadcastsModule
{
    public static IServiceCollection AddBroadcasts(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<BroadcastOptions>(config.GetSection("Broadcasts"));
        services.AddScoped<BroadcastService>();
        services.AddScoped<BroadcastBot>();
        services.AddJobHandler<BroadcastTickJob>(BroadcastService.JobType);
        services.AddBotRoutes(BroadcastBot.Register);
        services.AddScoped<IDemoSeed, BroadcastDemoSeed>();
        return services;
    }

    public static IEndpointRouteBuilder MapBroadcastsApi(this IEndpointRouteBuilder app)
    {
        var g = app.MapAdminGroup("/broadcasts", "Broadcasts");
        g.MapPost("/", Create).WithName("CreateBroadcast")
            .WithSummary("Start a broadcast to a segment (all, language, purchased, never_purchased, tier, giveaway, ids); with dry_run, only count its recipients");
        g.MapGet("/", List).WithName("ListBroadcasts").WithSummary("Broadcasts, newest first, with their progress");
        g.MapGet("/{id:long}", Get).WithName("GetBroadcast").WithSummary("A broadcast's progress: sent, failed, blocked, remaining and ETA");
        g.MapPost("/{id:long}/pause", Pause).WithName("PauseBroadcast").WithSummary("Pause a running broadcast; unsent messages are taken back from the outbox");
        g.MapPost("/{id:long}/resume", Resume).WithName("ResumeBroadcast").WithSummary("Resume a paused broadcast");
        g.MapPost("/{id:long}/cancel", Cancel).WithName("CancelBroadcast").WithSummary("Cancel a broadcast; nobody who has not got it yet will");
        return app;
    }

    public sealed record CreateBroadcastRequest(
        string? Text,
        string? Photo,
        List<List<BroadcastButton>>? Buttons,
        string? Segment,
        string? Language,
        string? Tier,
        [property: JsonPropertyName("giveaway_id")] long? GiveawayId,
        [property: JsonPropertyName("user_ids")] List<long>? UserIds,
        [property: JsonPropertyName("allow_paid_broadcast")] bool AllowPaidBroadcast = false,
        [property: JsonPropertyName("admin_user_id")] long? AdminUserId = null,
        [property: JsonPropertyName("dry_run")] bool DryRun = false);

    public sealed record DryRunView(bool DryRun, string Segment, int Recipients);

    public sealed record BroadcastView(long Id, BroadcastStatus Status, string Segment, string? SegmentValue, string Text, string? Photo,
        IReadOnlyList<IReadOnlyList<BroadcastButton>> Buttons, bool AllowPaidBroadcast, string CreatedBy, long? AdminUserId,
        int? Total, int Sent, int Failed, int Blocked, int Cancelled, int Remaining, double RatePerSecond, int? EtaSeconds,
        DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt);

    internal static async Task<BroadcastView> ViewAsync(Broadcast b, BroadcastService broadcasts, CancellationToken ct)
    {
        var p = await broadcasts.ProgressAsync(b, ct);
        if (p.Queued > 0 && b.Status != BroadcastStatus.Running)
        {
            // No tick settles a paused or cancelled broadcast's last messages; the view does.
            await broadcasts.ReconcileAsync(b.Id, ct);
            p = await broadcasts.ProgressAsync(b, ct);
        }
        var remaining = b.Total is null && b.Status is BroadcastStatus.Running or BroadcastStatus.Paused ? (int?)null : p.Remaining;
        return new BroadcastView(b.Id, b.Status, b.Segment, b.SegmentValue, b.Text, b.Photo, b.ButtonRows(), b.AllowPaidBroadcast, b.CreatedBy,
            b.AdminUserId, b.Total, p.Sent, p.Failed, p.Blocked, p.Cancelled, remaining ?? 0, p.Rate,
            b.Status == BroadcastStatus.Running && p.Eta is { } eta ? (int)eta.TotalSeconds : null, b.CreatedAt, b.StartedAt, b.FinishedAt);
    }

    internal static async Task<Results<Ok<DryRunView>, Created<BroadcastView>, ProblemHttpResult>> Create(CreateBroadcastRequest request,
        BazaarDb db, BroadcastService broadcasts, ReferralTiers tiers, WriteGate gate, ClaimsPrincipal user, CancellationToken ct)
    {
        var kind = request.Segment?.Trim().ToLowerInvariant() ?? "";
        if (kind.Length == 0) return Problems.BadRequest("segment_required", $"\"segment\" is required: one of {string.Join(", ", Segments.Names)}.");
        var spec = Segments.Spec.Of(kind, request.Language, request.Tier, request.GiveawayId, request.UserIds);
        if (Segments.Check(spec, tiers) is { } bad) return Problems.BadRequest(bad.Code, bad.Detail);
        if (kind == Segments.Giveaway && !await db.Giveaways.AnyAsync(x => x.Id == request.GiveawayId, ct))
            return Problems.NotFound("giveaway_not_found", $"There is no giveaway {request.GiveawayId}.");
        IReadOnlyList<IReadOnlyList<BroadcastButton>>? buttons = request.Buttons?.Select(r => (IReadOnlyList<BroadcastButton>)(r ?? [])).ToList();
        if (buttons is not null && buttons.SelectMany(r => r).Any(x => x is null)) return Problems.BadRequest("invalid_buttons", "A button is null.");
        var photo = string.IsNullOrWhiteSpace(request.Photo) ? null : request.Photo.Trim();
        if (BroadcastContent.Check(request.Text, photo, buttons) is { } content) return Problems.BadRequest(content.Code, content.Detail);
        if (request.AdminUserId is { } admin && !await db.Users.AnyAsync(u => u.Id == admin, ct))
            return Problems.NotFound("user_not_found", $"There is no user {admin} to get the test copy and the progress (admin_user_id).");

        var count = await broadcasts.CountAsync(spec, ct);
        if (request.DryRun) return TypedResults.Ok(new DryRunView(true, kind, count));
        if (count == 0) return Problems.Unprocessable("no_recipients", "Nobody is in this segment right now, so there is nothing to send.");

        Broadcast b;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            b = broadcasts.Draft(request.Text!, photo, buttons, spec, request.AllowPaidBroadcast,
                $"{user.Identity?.Name ?? "api"} (key {user.FindFirstValue("api_key_id") ?? "?"})", request.AdminUserId);
            await db.SaveChangesAsync(ct);
            await broadcasts.SendTestAsync(b, ct);
            await broadcasts.StartAsync(b, ct);
            await tx.CommitAsync(ct);
        }
        return TypedResults.Created($"/api/v1/admin/broadcasts/{b.Id}", await ViewAsync(b, broadcasts, ct));
    }

    internal static async Task<Ok<Paged<BroadcastView>>> List(BazaarDb db, BroadcastService broadcasts, CancellationToken ct,
        int page = 1, int pageSize = 50, BroadcastStatus? status = null)
    {
        var q = db.Broadcasts.AsNoTracking();
        if (status is { } s) q = q.Where(b => b.Status == s);
        var paged = await Paged<Broadcast>.Of(q.OrderByDescending(b => b.Id), page, pageSize, ct);
        var items = new List<BroadcastView>();
        foreach (var b in paged.Items) items.Add(await ViewAsync(b, broadcasts, ct));
        return TypedResults.Ok(new Paged<BroadcastView>(items, paged.Page, paged.PageSize, paged.Total));
    }

    internal static async Task<Results<Ok<BroadcastView>, ProblemHttpResult>> Get(long id, BazaarDb db, BroadcastService broadcasts, CancellationToken ct)
    {
        var b = await db.Broadcasts.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return b is null ? NotFound(id) : TypedResults.Ok(await ViewAsync(b, broadcasts, ct));
    }

    internal static Task<Results<Ok<BroadcastView>, ProblemHttpResult>> Pause(long id, BazaarDb db, BroadcastService broadcasts, CancellationToken ct) =>
        ChangeAsync(id, db, broadcasts, broadcasts.PauseAsync, "broadcast_not_running", "only a running broadcast can be paused", ct);

    internal static Task<Results<Ok<BroadcastView>, ProblemHttpResult>> Resume(long id, BazaarDb db, BroadcastService broadcasts, CancellationToken ct) =>
        ChangeAsync(id, db, broadcasts, broadcasts.ResumeAsync, "broadcast_not_paused", "only a paused broadcast can be resumed", ct);

    internal static Task<Results<Ok<BroadcastView>, ProblemHttpResult>> Cancel(long id, BazaarDb db, BroadcastService broadcasts, CancellationToken ct) =>
        ChangeAsync(id, db, broadcasts, broadcasts.CancelAsync, "broadcast_finished", "a completed or cancelled broadcast cannot be cancelled", ct);

    private static async Task<Results<Ok<BroadcastView>, ProblemHttpResult>> ChangeAsync(long id, BazaarDb db, BroadcastService broadcasts,
        Func<long, CancellationToken, Task<BroadcastChange>> change, string code, string why, CancellationToken ct)
    {
        var outcome = await change(id, ct);
        var b = await db.Broadcasts.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return outcome switch
        {
            BroadcastChange.NotFound => NotFound(id),
            BroadcastChange.WrongStatus => Problems.Conflict(code, $"Broadcast {id} is {b?.Status.ToString().ToLowerInvariant()}: {why}."),
            _ => TypedResults.Ok(await ViewAsync(b!, broadcasts, ct)),
        };
    }

    private static ProblemHttpResult NotFound(long id) => Problems.NotFound("broadcast_not_found", $"There is no broadcast {id}.");
}
