using System.Globalization;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot;

namespace Bazaar.Server.Checks;

/// <summary>Where a check's follow lists come from: the user's export archive, or Instagram itself (live).</summary>
public interface IFollowSource
{
    CheckSource Source { get; }

    /// <summary>
    /// The check's two lists. Throws <see cref="CheckInputError"/> when retrying cannot help (the check then ends at once,
    /// its credit back), anything else when it may (the job retries with backoff).
    /// </summary>
    Task<FollowLists> ReadAsync(Check check, CancellationToken ct);
}

/// <summary>The export ZIP the user sent, downloaded here in the job (getFile), never in the update handler.</summary>
public sealed class ExportFollowSource(ITelegramBotClient bot, IOptions<ChecksOptions> options) : IFollowSource
{
    public CheckSource Source => CheckSource.Export;

    public async Task<FollowLists> ReadAsync(Check check, CancellationToken ct)
    {
        var limits = options.Value.Export;
        if (check.FileId is null) throw new CheckInputError("no_file", "This check has no export archive to read.", CheckTexts.ExportNoFile);
        // A sandbox upload carries a synthetic file id, its bytes stay in the browser: the sandbox reads the generated sample.
        if (check.Channel == ChatChannel.Sandbox)
        {
            var sample = SampleExport.Build();
            return InstagramExport.Read(new MemoryStream(sample), sample.Length, limits);
        }
        if (check.FileSize > limits.MaxArchiveBytes) InstagramExport.Read(Stream.Null, check.FileSize.Value, limits);
        var file = await bot.GetFile(check.FileId, ct);
        if (file.FilePath is null) throw new InvalidOperationException("Telegram gave no file path for the export.");
        using var ms = new MemoryStream();
        await bot.DownloadFile(file.FilePath, ms, ct);
        ms.Position = 0;
        return InstagramExport.Read(ms, ms.Length, limits);
    }
}

/// <summary>
/// Runs one check (<c>Jobs:Types:check</c>, one at a time by default). A wrong input ends the check FAILED at once and
/// tells the user how to fix it; any other failure is retried, and when retries run out <see cref="OnFailedAsync"/>
/// ends it. Either way the credit comes back, once (the ledger reference), and the user is told.
/// </summary>
public sealed class CheckJob(BazaarDb db, IEnumerable<IFollowSource> sources, Outbox outbox, CheckCredits credits, CheckQueue queue,
    WriteGate gate, TimeProvider clock, ILogger<CheckJob> log) : JobHandler<CheckJob.Payload>
{
    public const string JobType = "check";
    public sealed record Payload(long CheckId);

    public override async Task HandleAsync(Payload payload, JobContext job, CancellationToken ct)
    {
        var check = await db.Checks.AsNoTracking().FirstOrDefaultAsync(c => c.Id == payload.CheckId, ct);
        if (check is null || check.Status is CheckStatus.Completed or CheckStatus.Failed or CheckStatus.Cancelled) return;
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Checks.Where(c => c.Id == check.Id && (c.Status == CheckStatus.Queued || c.Status == CheckStatus.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CheckStatus.Running).SetProperty(c => c.StartedAt, c => c.StartedAt ?? now), ct);

        FollowLists lists;
        try
        {
            // Outside any transaction: the live source may page and wait out rate limits for minutes.
            lists = await sources.Single(s => s.Source == check.Source).ReadAsync(check, ct);
        }
        catch (CheckInputError e)
        {
            await FailAsync(check, e, refund: true, ct);
            return;
        }
        var result = MutualResult.Of(lists);

        using (await gate.EnterAsync(ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var done = clock.GetUtcNow().UtcDateTime;
            var n = await db.Checks.Where(c => c.Id == check.Id && c.Status == CheckStatus.Running)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, CheckStatus.Completed).SetProperty(c => c.FinishedAt, done)
                    .SetProperty(c => c.Followers, result.Followers).SetProperty(c => c.Following, result.Following)
                    .SetProperty(c => c.Mutual, result.Mutual).SetProperty(c => c.NotFollowingBack, result.NotFollowingBack.Count)
                    .SetProperty(c => c.NotFollowedBack, result.NotFollowedBack.Count), ct);
            if (n == 0) return;
            var accounts = result.NotFollowingBack.Select(a => Row(check.Id, FollowDirection.NotFollowingBack, a))
                .Concat(result.NotFollowedBack.Select(a => Row(check.Id, FollowDirection.NotFollowedBack, a))).ToList();
            db.CheckAccounts.AddRange(accounts);
            await db.SaveChangesAsync(ct);
            var completed = await db.Checks.AsNoTracking().SingleAsync(c => c.Id == check.Id, ct);
            await NotifyDoneAsync(completed, accounts, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
    }

    public override async Task OnCancelledAsync(Payload payload, JobContext job, CancellationToken ct) =>
        await queue.EndCancelledAsync(payload.CheckId, ct);

    /// <summary>Retries ran out (the source is down, a crash): the check fails and its credit comes back, once.</summary>
    public override async Task OnFailedAsync(Payload payload, JobContext job, string error, CancellationToken ct)
    {
        var check = await db.Checks.AsNoTracking().FirstOrDefaultAsync(c => c.Id == payload.CheckId, ct);
        if (check is null) return;
        log.LogWarning("Check {Id} failed: {Error}", check.Id, error);
        await FailAsync(check, null, refund: true, ct);
    }

    /// <summary>Ends a queued or running check FAILED, refunds it and tells the user why; <paramref name="error"/> null: the source was down.</summary>
    private async Task FailAsync(Check check, CheckInputError? error, bool refund, CancellationToken ct)
    {
        // The failure hook runs inside the runner's transaction, which already holds the writer turn.
        var own = db.Database.CurrentTransaction is null;
        using (own ? await gate.EnterAsync(ct) : default)
        {
            await using var tx = own ? await db.Database.BeginTransactionAsync(ct) : null;
            var now = clock.GetUtcNow().UtcDateTime;
            var reason = error?.Message ?? "source_unavailable";
            var n = await db.Checks.Where(c => c.Id == check.Id && (c.Status == CheckStatus.Queued || c.Status == CheckStatus.Running))
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CheckStatus.Failed).SetProperty(c => c.FinishedAt, now)
                    .SetProperty(c => c.FailureReason, reason.Length > 500 ? reason[..500] : reason).SetProperty(c => c.Refunded, refund), ct);
            if (n == 0) return;
            if (refund) await credits.RefundAsync(check.UserId, check.Id, "the check failed: not the user's fault", ct);
            var lang = await LanguageAsync(check.UserId, ct);
            var target = System.Net.WebUtility.HtmlEncode(check.Target ?? "");
            var text = error switch
            {
                null => string.Format(CheckTexts.FailedRefunded.In(lang), check.Id),
                { Text: { } t } when check.Source == CheckSource.Live =>
                    string.Format(CheckTexts.FailedLive.In(lang), check.Id, target, Reason(t, lang, target, error.Arg)),
                { Text: { } t } => string.Format(CheckTexts.FailedInput.In(lang), check.Id, Reason(t, lang, target, error.Arg)),
                _ => string.Format(CheckTexts.FailedInput.In(lang), check.Id, System.Net.WebUtility.HtmlEncode(error.Message)),
            };
            outbox.SendText(Target(check), text);
            await db.SaveChangesAsync(ct);
            if (tx is not null) await tx.CommitAsync(ct);
        }
    }

    /// <summary>A reason in the user's language: {0} the account, {1} the error's value (a limit, a file name), encoded.</summary>
    private static string Reason(Conversations.Localized text, string lang, string target, object? arg) =>
        string.Format(CultureInfo.InvariantCulture, text.In(lang), target, System.Net.WebUtility.HtmlEncode(Convert.ToString(arg, CultureInfo.InvariantCulture) ?? ""));

    private async Task NotifyDoneAsync(Check c, IReadOnlyList<CheckAccount> accounts, CancellationToken ct)
    {
        var lang = await LanguageAsync(c.UserId, ct);
        var report = CheckReport.Build(c, accounts, lang);
        outbox.SendDocument(Target(c), CheckReport.FileName(c), report, CheckTexts.Summary(c, lang));
    }

    public static ChatTarget Target(Check c) => new(c.Channel, c.ChatId, c.UserId);

    private async Task<string> LanguageAsync(long userId, CancellationToken ct) =>
        Languages.FromCode(await db.Users.Where(u => u.Id == userId).Select(u => u.LanguageCode).FirstOrDefaultAsync(ct));

    private static CheckAccount Row(long checkId, FollowDirection d, FollowAccount a) =>
        new() { CheckId = checkId, Direction = d, Username = a.Username, FullName = a.FullName, ProfileUrl = a.ProfileUrl };
}
