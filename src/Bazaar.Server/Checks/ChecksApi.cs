using System.Text.RegularExpressions;
using Bazaar.Server.Admin;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Checks;

/// <summary>Checks for integrators (API key): queue one for a user, follow it, fetch its report.</summary>
public static partial class ChecksApi
{
    public sealed record StartCheckRequest(long UserId, string? Target, string? FileId);
    public sealed record CheckSummary(int? Followers, int? Following, int? Mutual, int? NotFollowingBack, int? NotFollowedBack);
    public sealed record CheckView(long Id, long UserId, string? Target, string Source, string Status, int? Position, bool Refunded,
        string? FailureReason, CheckSummary? Summary, string? ReportUrl, DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt);

    [GeneratedRegex(@"^@?([A-Za-z0-9._]{1,30})$")]
    private static partial Regex Username();

    public static IEndpointRouteBuilder MapChecksEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/checks").RequireAuthorization(AdminModule.Policy).WithTags("Checks");
        api.MapPost("/", Start).WithName("StartCheck")
            .WithSummary("Queue a check for a user (spends one credit): an export ZIP's Telegram file id, or only a target username to read it live (422 live_source_off when live reading is not configured)");
        api.MapGet("/{id:long}", Get).WithName("GetCheck").WithSummary("A check's status, place in the queue and result summary");
        api.MapGet("/{id:long}/report.xlsx", Report).WithName("GetCheckReport").WithSummary("The XLSX report of a completed check");
        return app;
    }

    internal static async Task<Results<Created<CheckView>, ProblemHttpResult>> Start(StartCheckRequest r, BazaarDb db, CheckQueue queue,
        IOptions<ChecksOptions> options, CancellationToken ct)
    {
        string? target = null;
        if (!string.IsNullOrWhiteSpace(r.Target))
        {
            var m = Username().Match(r.Target.Trim());
            if (!m.Success) return Problems.BadRequest("invalid_target", "The target must be an Instagram username (letters, digits, dots, underscores; up to 30).");
            target = m.Groups[1].Value.ToLowerInvariant();
        }
        var source = CheckSource.Export;
        if (string.IsNullOrWhiteSpace(r.FileId))
        {
            if (target is null) return Problems.BadRequest("target_required", "Give a target username, or the fileId of an export ZIP the user sent.");
            // Without the operator's Instagram session only the user's export can be read.
            if (!options.Value.Instagram.LiveEnabled)
                return Problems.Unprocessable("live_source_off", "Reading accounts live is not enabled (Checks:Instagram:SessionId); pass the fileId of the user's export ZIP.");
            source = CheckSource.Live;
        }
        else if (r.FileId.Length > 256) return Problems.BadRequest("invalid_file_id", "fileId is a Telegram file id of at most 256 characters.");
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == r.UserId, ct);
        if (user is null) return Problems.NotFound("user_not_found", $"There is no chat user {r.UserId}.");

        var result = await queue.StartAsync(user.Id, new ChatTarget(user.Channel, user.ExternalId, user.Id), source, target, source == CheckSource.Live ? null : r.FileId, null, null, ct);
        if (!result.Ok) return Problems.Make(402, "Payment required", CheckQueue.NoCredits, "The user has no check credits left; they can buy some with /buy.");
        return TypedResults.Created($"/api/v1/checks/{result.Check!.Id}", View(result.Check, result.Position));
    }

    internal static async Task<Results<Ok<CheckView>, ProblemHttpResult>> Get(long id, BazaarDb db, CheckQueue queue, CancellationToken ct)
    {
        var c = await db.Checks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null) return Problems.NotFound("check_not_found", $"There is no check {id}.");
        return TypedResults.Ok(View(c, await queue.PositionAsync(c, ct)));
    }

    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Report(long id, BazaarDb db, CancellationToken ct)
    {
        var c = await db.Checks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (c is null) return Problems.NotFound("check_not_found", $"There is no check {id}.");
        if (c.Status != CheckStatus.Completed) return Problems.Conflict("check_not_completed", $"Check {id} is {CheckWords.Status(c.Status)}; the report comes when it is COMPLETED.");
        var lang = Conversations.Languages.FromCode(await db.Users.Where(u => u.Id == c.UserId).Select(u => u.LanguageCode).FirstOrDefaultAsync(ct));
        var accounts = await db.CheckAccounts.AsNoTracking().Where(a => a.CheckId == id).OrderBy(a => a.Id).ToListAsync(ct);
        return TypedResults.File(CheckReport.Build(c, accounts, lang), CheckReport.ContentType, CheckReport.FileName(c));
    }

    public static CheckView View(Check c, int? position) =>
        new(c.Id, c.UserId, c.Target, CheckWords.Source(c.Source), CheckWords.Status(c.Status), position, c.Refunded, c.FailureReason,
            c.Status == CheckStatus.Completed ? new CheckSummary(c.Followers, c.Following, c.Mutual, c.NotFollowingBack, c.NotFollowedBack) : null,
            c.Status == CheckStatus.Completed ? $"/api/v1/checks/{c.Id}/report.xlsx" : null, c.CreatedAt, c.StartedAt, c.FinishedAt);
}
