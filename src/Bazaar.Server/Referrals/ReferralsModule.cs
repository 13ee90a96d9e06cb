using System.Security.Claims;
using Bazaar.Server.Admin;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Bazaar.Server.Jobs;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Bazaar.Server.Conversations;

namespace Bazaar.Server.Referrals;

public static class ReferralsModule
{
    public static IServiceCollection AddReferrals(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<ReferralOptions>(config.GetSection("Referrals"));
        services.AddSingleton<ReferralTiers>();
        services.AddScoped<ReferralService>();
        services.AddScoped<ReferralStats>();
        services.AddScoped<Achievements>();
        services.AddScoped<ReferralBot>();
        services.AddScoped<IPaymentListener, ReferralPaymentListener>();
        services.AddJobHandler<AchievementSweepJob>(AchievementSweepJob.Type);
        services.AddRecurringJob(AchievementSweepJob.Type, TimeSpan.FromMinutes(5), AchievementSweepJob.Type);
        services.AddBotRoutes(ReferralBot.Register);
        services.AddScoped<IDemoSeed, ReferralDemoSeed>();
        return services;
    }

    public static IEndpointRouteBuilder MapReferralsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/referrals").RequireAuthorization(AdminModule.Policy).WithTags("Referrals");
        api.MapGet("/stats", Stats).WithName("ReferralStats")
            .WithSummary("A user's referral code, link, invited and active counts, earnings, tier and milestone progress (admin API key)");
        api.MapGet("/list", List).WithName("ReferralList").WithSummary("The users a user invited, newest first, paged (admin API key)");
        api.MapPost("/link", Link).WithName("LinkReferral")
            .WithSummary("Tie a user to the referrer who invited them (for a newcomer who missed the link); never oneself, twice or in a loop");
        return app;
    }

    public sealed record MoneyView(decimal Amount, long AmountMinor, string Currency);
    public sealed record TierView(string Code, string Name, string Badge, MoneyView Threshold);
    public sealed record MilestoneView(int Every, int Reward, int Reached, int NextAt, int Remaining);
    public sealed record StatsView(long UserId, string Code, string? Link, int Invited, int Active, MoneyView Earned, MoneyView EarnedThisMonth,
        IReadOnlyList<MoneyView> EarnedByCurrency, TierView Tier, TierView? NextTier, MilestoneView Milestones, long? ReferredBy);
    public sealed record ReferralView(long UserId, string Name, DateTime LinkedAt, DateTime? ActivatedAt, string LinkedBy,
        IReadOnlyList<MoneyView> Commission);
    public sealed record LinkRequest(long RefereeId, long ReferrerId);
    public sealed record LinkView(long RefereeId, long ReferrerId, string Outcome);

    private static MoneyView Money(long minor, string currency) => new(Currencies.ToMajor(minor, currency), minor, currency);

    private static TierView View(Tier t, string currency) => new(t.Code, t.Name.En, t.Badge, Money(t.Threshold, currency));

    internal static async Task<Results<Ok<StatsView>, ProblemHttpResult>> Stats(BazaarDb db, ReferralStats stats, CancellationToken ct,
        [FromQuery(Name = "user_id")] long? userId = null)
    {
        if (userId is not { } id) return Problems.BadRequest("user_id_required", "Pass the user's id as ?user_id=.");
        if (!await db.Users.AnyAsync(u => u.Id == id, ct)) return Problems.NotFound("user_not_found", $"There is no user {id}.");
        var s = await stats.SummaryAsync(id, ct);
        var byCurrency = await db.ReferralCommissions.Where(c => c.ReferrerId == id).GroupBy(c => c.Currency)
            .Select(g => new { g.Key, Sum = g.Sum(c => c.Amount - c.ReversedAmount) }).ToListAsync(ct);
        var referredBy = await db.Referrals.Where(r => r.RefereeId == id).Select(r => (long?)r.ReferrerId).FirstOrDefaultAsync(ct);
        return TypedResults.Ok(new StatsView(id, s.Code, s.Link, s.Invited, s.Active, Money(s.EarnedMinor, s.Currency),
            Money(s.EarnedThisMonthMinor, s.Currency), byCurrency.OrderBy(x => x.Key).Select(x => Money(x.Sum, x.Key)).ToList(),
            View(s.Tier, s.Currency), s.NextTier is null ? null : View(s.NextTier, s.Currency),
            new MilestoneView(s.MilestoneEvery, s.MilestoneReward, s.MilestonesReached, s.NextMilestoneAt,
                s.MilestoneEvery == 0 ? 0 : s.NextMilestoneAt - s.Active), referredBy));
    }

    internal static async Task<Results<Ok<Paged<ReferralView>>, ProblemHttpResult>> List(BazaarDb db, CancellationToken ct,
        [FromQuery(Name = "user_id")] long? userId = null, int page = 1, [FromQuery(Name = "page_size")] int pageSize = 50)
    {
        if (userId is not { } id) return Problems.BadRequest("user_id_required", "Pass the referrer's id as ?user_id=.");
        if (!await db.Users.AnyAsync(u => u.Id == id, ct)) return Problems.NotFound("user_not_found", $"There is no user {id}.");
        var paged = await Paged<Referral>.Of(db.Referrals.AsNoTracking().Where(r => r.ReferrerId == id)
            .OrderByDescending(r => r.LinkedAt).ThenByDescending(r => r.RefereeId), page, pageSize, ct);
        var ids = paged.Items.Select(r => r.RefereeId).ToList();
        var users = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id)).ToDictionaryAsync(u => u.Id, ct);
        var commissions = await db.ReferralCommissions.Where(c => c.ReferrerId == id && ids.Contains(c.RefereeId))
            .GroupBy(c => new { c.RefereeId, c.Currency }).Select(g => new { g.Key.RefereeId, g.Key.Currency, Sum = g.Sum(c => c.Amount - c.ReversedAmount) })
            .ToListAsync(ct);
        var items = paged.Items.Select(r => new ReferralView(r.RefereeId, users.TryGetValue(r.RefereeId, out var u) ? u.DisplayName : "",
            r.LinkedAt, r.ActivatedAt, r.LinkedBy,
            commissions.Where(c => c.RefereeId == r.RefereeId).OrderBy(c => c.Currency).Select(c => Money(c.Sum, c.Currency)).ToList())).ToList();
        return TypedResults.Ok(new Paged<ReferralView>(items, paged.Page, paged.PageSize, paged.Total));
    }

    internal static async Task<Results<Ok<LinkView>, ProblemHttpResult>> Link(LinkRequest request, BazaarDb db, ReferralService referrals,
        WriteGate gate, ClaimsPrincipal user, CancellationToken ct)
    {
        LinkOutcome outcome;
        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            outcome = await referrals.LinkAsync(request.RefereeId, request.ReferrerId, Operator(user), ct);
            if (outcome == LinkOutcome.Linked) await tx.CommitAsync(ct);
            else await tx.RollbackAsync(ct);
        }
        return outcome switch
        {
            LinkOutcome.Linked => TypedResults.Ok(new LinkView(request.RefereeId, request.ReferrerId, "linked")),
            LinkOutcome.UnknownReferee => Problems.NotFound("user_not_found", $"There is no user {request.RefereeId}."),
            LinkOutcome.UnknownReferrer => Problems.NotFound("referrer_not_found", $"There is no user {request.ReferrerId}."),
            LinkOutcome.SelfReferral => Problems.Conflict("self_referral", "A user cannot refer themselves."),
            LinkOutcome.AlreadyLinked => Problems.Conflict("already_linked", $"User {request.RefereeId} already has a referrer; it is never changed."),
            LinkOutcome.Cycle => Problems.Conflict("referral_cycle",
                $"User {request.ReferrerId} was invited (directly or further up) by user {request.RefereeId}, so this link would close a loop."),
            _ => Problems.Conflict("not_linked", "The referral was not linked."),
        };
    }

    private static string Operator(ClaimsPrincipal user) => $"{user.Identity?.Name ?? "api"} (key {user.FindFirstValue("api_key_id") ?? "?"})";
}

/// <summary>
/// Every 5 minutes: achievements for purchases and giveaway wins of the last hour (those paths don't call the
/// rules themselves). Unlocking is once-only, so the overlapping window repeats nothing.
/// </summary>
internal sealed class AchievementSweepJob(BazaarDb db, Achievements achievements, TimeProvider clock) : IJobHandler
{
    public const string Type = "referrals.achievements";

    public async Task HandleAsync(JobContext job, CancellationToken ct)
    {
        var since = clock.GetUtcNow().UtcDateTime.AddHours(-1);
        var users = await db.Orders.Where(o => o.CreatedAt >= since).Select(o => o.UserId)
            .Union(db.GiveawayWinners.Where(w => w.SelectedAt >= since).Select(w => w.UserId))
            .ToListAsync(ct);
        foreach (var id in users) await achievements.EvaluateAsync(id, ct);
        await db.SaveChangesAsync(ct);
    }
}
