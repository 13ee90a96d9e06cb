using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Payments;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Server.Checks;

/// <summary>
/// Paid checks in the bot: /buy → tariff → method; /check (how-to, or /check username); the export ZIP sent as a
/// document queues a check (downloaded later by the job); /status with queue places and Cancel; /last resends the report.
/// Nothing here calls outside services: payments are prepared by their jobs, the export is fetched by the check job.
/// </summary>
public sealed partial class CheckBot(BazaarDb db, CheckCredits credits, CheckQueue queue, TariffPurchase purchase, PaymentCreator paymentCreator,
    StarsPayments stars, Jobs.JobQueue jobs, Ledger ledger, IOptions<PaymentsOptions> payments, IOptions<ChecksOptions> options)
{
    public const string Prefix = "chk:";
    public const string ExportStep = "checks.await_export";

    public static void Register(BotRoutes r) => r
        .Command<CheckBot>("buy", (bot, ctx) => bot.BuyAsync(ctx), CheckTexts.BuyCommand)
        .Command<CheckBot>("check", (bot, ctx) => bot.CheckAsync(ctx), CheckTexts.CheckCommand)
        .Command<CheckBot>("status", (bot, ctx) => bot.StatusAsync(ctx), CheckTexts.StatusCommand)
        .Command<CheckBot>("last", (bot, ctx) => bot.LastAsync(ctx), CheckTexts.LastCommand)
        .Callback<CheckBot>(Prefix, (bot, ctx) => bot.OnButtonAsync(ctx))
        .Step<CheckBot>(ExportStep, (bot, ctx) => bot.ExportSentAsync(ctx));

    [GeneratedRegex(@"^@?([A-Za-z0-9._]{1,30})$")]
    private static partial Regex Username();

    private static InlineKeyboardButton Btn(string text, string data) => InlineKeyboardButton.WithCallbackData(text, data);
    private static string F(BotContext ctx, Localized t, params object?[] args) => string.Format(CultureInfo.InvariantCulture, ctx.T(t), args);
    private static string H(string? s) => WebUtility.HtmlEncode(s ?? "");
    /// <summary>With the operator's Instagram session, /check username reads the account live; otherwise it waits for the export.</summary>
    private bool LiveEnabled => options.Value.Instagram.LiveEnabled;

    public async Task OnButtonAsync(BotContext ctx)
    {
        var parts = ctx.CallbackData!.Split(':');
        long P(int i) => parts.Length > i && long.TryParse(parts[i], CultureInfo.InvariantCulture, out var v) ? v : 0;
        switch (parts.Length > 1 ? parts[1] : "")
        {
            case "buy": await BuyAsync(ctx); break;
            case "t": await MethodsAsync(ctx, P(2)); break;
            case "p": await PayAsync(ctx, P(2), parts.Length > 3 ? parts[3] : ""); break;
            case "w": await PayFromWalletAsync(ctx, P(2)); break;
            case "x": await CancelAsync(ctx, P(2)); break;
            default: ctx.AnswerCallback(); break;
        }
    }

    // Buying

    public async Task BuyAsync(BotContext ctx)
    {
        var ct = ctx.CancellationToken;
        var tariffs = await db.Tariffs.AsNoTracking().Where(t => t.IsActive).OrderBy(t => t.SortOrder).ThenBy(t => t.Id).ToListAsync(ct);
        ctx.AnswerCallback();
        if (tariffs.Count == 0) { ctx.Reply(ctx.T(CheckTexts.NoTariffs)); return; }
        var rows = tariffs.Select(t => new[] { Btn(F(ctx, CheckTexts.TariffButton, t.Name, t.Credits, Currencies.Format(t.Price, t.Currency)), $"chk:t:{t.Id}") });
        ctx.Reply(F(ctx, CheckTexts.ChooseTariff, await credits.BalanceAsync(ctx.User.Id, ct)), new InlineKeyboardMarkup(rows));
    }

    private async Task MethodsAsync(BotContext ctx, long tariffId)
    {
        var ct = ctx.CancellationToken;
        var t = await db.Tariffs.AsNoTracking().FirstOrDefaultAsync(x => x.Id == tariffId && x.IsActive, ct);
        ctx.AnswerCallback();
        if (t is null) { ctx.EditOrReply(ctx.T(CheckTexts.TariffGone)); return; }
        var o = payments.Value;
        var rows = new List<InlineKeyboardButton[]>();
        if (o.IsEnabled(PaymentMethod.Stars) && ctx.Channel == ChatChannel.Telegram)
            rows.Add([Btn(F(ctx, CheckTexts.PayStars, t.StarsPrice ?? stars.StarsFor(t.Price, t.Currency)), $"chk:p:{t.Id}:stars")]);
        if (o.IsEnabled(PaymentMethod.Robokassa)) rows.Add([Btn(ctx.T(CheckTexts.PayRobokassa), $"chk:p:{t.Id}:robokassa")]);
        if (o.IsEnabled(PaymentMethod.Stripe) && Currencies.Scale(t.Currency) == 2) rows.Add([Btn(ctx.T(CheckTexts.PayStripe), $"chk:p:{t.Id}:stripe")]);
        var wallet = await ledger.BalanceAsync(ctx.User.Id, t.Currency, ct);
        rows.Add([Btn(F(ctx, CheckTexts.PayWallet, Currencies.Format(wallet, t.Currency)), $"chk:w:{t.Id}")]);
        rows.Add([Btn(ctx.T(CheckTexts.Back), "chk:buy")]);
        ctx.EditOrReply(F(ctx, CheckTexts.ChooseMethod, H(t.Name), t.Credits, Currencies.Format(t.Price, t.Currency)), new InlineKeyboardMarkup(rows));
    }

    private async Task PayAsync(BotContext ctx, long tariffId, string method)
    {
        var ct = ctx.CancellationToken;
        var t = await db.Tariffs.AsNoTracking().FirstOrDefaultAsync(x => x.Id == tariffId && x.IsActive, ct);
        if (t is null) { ctx.AnswerCallback(); ctx.EditOrReply(ctx.T(CheckTexts.TariffGone)); return; }
        var (p, error) = await paymentCreator.CreatePendingAsync(new CreatePaymentRequest(ctx.User.Id, method, "tariff",
            t.Id.ToString(CultureInfo.InvariantCulture), Currencies.ToMajor(t.Price, t.Currency), t.Currency), ct);
        if (p is null) { ctx.AnswerCallback(error?.Detail, alert: true); return; }
        ctx.AnswerCallback();
        if (p.Method == PaymentMethod.Stars)
        {
            stars.EnqueueInvoice(ctx.Chat, p, t.Name, $"{t.Credits} check credits");
            ctx.Reply(ctx.T(CheckTexts.StarsInvoiceSent));
        }
        else if (PaymentCreator.NeedsPreparation(p))
        {
            PaymentPreparation.Enqueue(jobs, p, ctx.Chat, ctx.Language);
            ctx.Reply(ctx.T(CheckTexts.LinkComing));
        }
        else if (p.PayUrl is not null)
        {
            ctx.Reply(F(ctx, CheckTexts.PayLink, Currencies.Format(t.Price, t.Currency)),
                new InlineKeyboardMarkup(InlineKeyboardButton.WithUrl(ctx.T(CheckTexts.PayButton), p.PayUrl)));
        }
    }

    private async Task PayFromWalletAsync(BotContext ctx, long tariffId)
    {
        var ct = ctx.CancellationToken;
        // One purchase per button press: a redelivered update does not buy twice.
        var key = $"tariff:wallet:{ctx.Update.CallbackQuery?.Id ?? ctx.InboundUpdateId.ToString(CultureInfo.InvariantCulture)}";
        var (outcome, balance) = await purchase.BuyFromWalletAsync(ctx.User.Id, tariffId, key, ct);
        ctx.AnswerCallback();
        var t = await db.Tariffs.AsNoTracking().FirstOrDefaultAsync(x => x.Id == tariffId, ct);
        switch (outcome)
        {
            case TariffPurchase.WalletBuy.NotFound:
                ctx.EditOrReply(ctx.T(CheckTexts.TariffGone));
                break;
            case TariffPurchase.WalletBuy.InsufficientFunds:
                ctx.Reply(F(ctx, CheckTexts.NotEnoughMoney, Currencies.Format(await ledger.BalanceAsync(ctx.User.Id, t!.Currency, ct), t.Currency),
                    Currencies.Format(t.Price, t.Currency)));
                break;
            default:
                ctx.EditOrReply(F(ctx, CheckTexts.BoughtFromWallet, t!.Credits, balance));
                break;
        }
    }

    // Checks

    public async Task CheckAsync(BotContext ctx)
    {
        var ct = ctx.CancellationToken;
        var arg = ctx.Args.Trim();
        if (arg.Length == 0)
        {
            await ctx.SetStepAsync(ExportStep, new ExportWait(null));
            ctx.Reply(F(ctx, CheckTexts.HowTo, ctx.T(LiveEnabled ? CheckTexts.LiveOn : CheckTexts.LiveOff), await credits.BalanceAsync(ctx.User.Id, ct)));
            return;
        }
        var m = Username().Match(arg);
        if (!m.Success) { ctx.Reply(ctx.T(CheckTexts.BadUsername)); return; }
        var username = m.Groups[1].Value.ToLowerInvariant();
        if (LiveEnabled)
        {
            // Queued at once; the job does the reading, so the user never waits inside a step.
            if (await StartAsync(ctx, CheckSource.Live, username, null, null, null)) await ctx.ClearStateAsync();
            return;
        }
        await ctx.SetStepAsync(ExportStep, new ExportWait(username));
        ctx.Reply(F(ctx, CheckTexts.SendExport, H(username)));
    }

    public sealed record ExportWait(string? Target);

    /// <summary>The export arrives as a document; only its id is kept here, the job downloads it.</summary>
    public async Task ExportSentAsync(BotContext ctx)
    {
        var doc = ctx.Message?.Document;
        if (doc is null || !(doc.FileName ?? "").EndsWith(".zip", StringComparison.OrdinalIgnoreCase) &&
            doc.MimeType is not ("application/zip" or "application/x-zip-compressed"))
        {
            ctx.Reply(ctx.T(CheckTexts.NotAZip));
            return;
        }
        var max = options.Value.Export.MaxArchiveBytes;
        if (doc.FileSize > max)
        {
            ctx.Reply(F(ctx, CheckTexts.TooBig, max / (1024 * 1024)));
            return;
        }
        var wait = await ctx.GetStateDataAsync<ExportWait>();
        if (await StartAsync(ctx, CheckSource.Export, wait?.Target, doc.FileId, doc.FileName, doc.FileSize)) await ctx.ClearStateAsync();
    }

    private async Task<bool> StartAsync(BotContext ctx, CheckSource source, string? target, string? fileId, string? fileName, long? size)
    {
        var ct = ctx.CancellationToken;
        var r = await queue.StartAsync(ctx.User.Id, ctx.Chat, source, target, fileId, fileName, size, ct);
        if (!r.Ok)
        {
            ctx.Reply(ctx.T(CheckTexts.NoCredits), new InlineKeyboardMarkup(Btn(ctx.T(CheckTexts.BuyButton), "chk:buy")));
            return false;
        }
        var queued = F(ctx, CheckTexts.Queued, r.Check!.Id, r.Position ?? 1, await credits.BalanceAsync(ctx.User.Id, ct));
        if (source == CheckSource.Live) queued = F(ctx, CheckTexts.LiveQueued, H(target)) + "\n" + queued;
        ctx.Reply(queued,
            new InlineKeyboardMarkup(Btn(F(ctx, CheckTexts.CancelButton, r.Check.Id), $"chk:x:{r.Check.Id}")));
        return true;
    }

    private async Task CancelAsync(BotContext ctx, long checkId)
    {
        var ok = await queue.CancelAsync(ctx.User.Id, checkId, ctx.CancellationToken);
        ctx.AnswerCallback();
        ctx.Reply(F(ctx, ok ? CheckTexts.Cancelled : CheckTexts.CannotCancel, checkId));
    }

    public async Task StatusAsync(BotContext ctx)
    {
        var ct = ctx.CancellationToken;
        var checks = await db.Checks.AsNoTracking().Where(c => c.UserId == ctx.User.Id).OrderByDescending(c => c.Id).Take(10).ToListAsync(ct);
        if (checks.Count == 0) { ctx.Reply(ctx.T(CheckTexts.NoChecks)); return; }
        var lines = new List<string> { ctx.T(CheckTexts.StatusTitle) };
        var rows = new List<InlineKeyboardButton[]>();
        foreach (var c in checks)
        {
            lines.Add(c.Status switch
            {
                CheckStatus.Queued => F(ctx, CheckTexts.StatusQueued, c.Id, await queue.PositionAsync(c, ct) ?? 1),
                CheckStatus.Running => F(ctx, CheckTexts.StatusRunning, c.Id),
                CheckStatus.Completed => F(ctx, CheckTexts.StatusDone, c.Id, c.NotFollowingBack),
                CheckStatus.Failed => F(ctx, CheckTexts.StatusFailed, c.Id, c.FailureReason is null or "source_unavailable" ? "" : ": " + H(c.FailureReason)),
                _ => F(ctx, CheckTexts.StatusCancelled, c.Id),
            });
            if (c.Status == CheckStatus.Queued) rows.Add([Btn(F(ctx, CheckTexts.CancelButton, c.Id), $"chk:x:{c.Id}")]);
        }
        lines.Add("");
        lines.Add(ctx.T(CheckTexts.CreditsBalance).Replace("{0}", (await credits.BalanceAsync(ctx.User.Id, ct)).ToString(CultureInfo.InvariantCulture)));
        ctx.Reply(string.Join("\n", lines), rows.Count == 0 ? null : new InlineKeyboardMarkup(rows));
    }

    public async Task LastAsync(BotContext ctx)
    {
        var ct = ctx.CancellationToken;
        var c = await db.Checks.AsNoTracking().Where(x => x.UserId == ctx.User.Id && x.Status == CheckStatus.Completed)
            .OrderByDescending(x => x.Id).FirstOrDefaultAsync(ct);
        if (c is null) { ctx.Reply(ctx.T(CheckTexts.NoReport)); return; }
        var accounts = await db.CheckAccounts.AsNoTracking().Where(a => a.CheckId == c.Id).OrderBy(a => a.Id).ToListAsync(ct);
        ctx.Outbox.SendDocument(ctx.Chat, CheckReport.FileName(c), CheckReport.Build(c, accounts, Languages.FromCode(ctx.Language)),
            CheckTexts.Summary(c, Languages.FromCode(ctx.Language)));
    }
}
