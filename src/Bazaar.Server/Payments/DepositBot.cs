using System.Globalization;
using Bazaar.Server.Admin;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Server.Jobs;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Telegram.Bot.Types.ReplyMarkups;
using static Bazaar.Server.Conversations.ConversationTexts;

namespace Bazaar.Server.Payments;

/// <summary>
/// Deposits in the bot: method (the wallet's Deposit screen) → amount → per method instructions, address + QR,
/// Stars invoice or a payment link; the manual proof; operators' /deposits with Approve / Reject; and Telegram
/// Stars' pre_checkout_query and successful_payment.
/// </summary>
public static class DepositBot
{
    public const string AmountStep = "deposit.amount";
    public const string ProofStep = "deposit.proof";
    public const string RejectReasonStep = "deposit.reject_reason";
    public const string ApprovePrefix = "deposit:approve:";
    public const string RejectPrefix = "deposit:reject:";
    public const decimal MaxAmount = 1_000_000m;
    private const int ListLimit = 20;

    public sealed record AmountData(string Method);
    public sealed record ProofData(long PaymentId, string Reference);
    public sealed record RejectData(long PaymentId);

    public static void Register(BotRoutes r) => r
        .Callback(WalletScreens.DepositMethodCallbackPrefix, MethodChosen)
        .Step(AmountStep, AmountEntered)
        .Step(ProofStep, ProofSent)
        .Command("deposits", ListPending, PaymentTexts.DepositsCommand, hidden: true)
        .Callback(ApprovePrefix, Approve)
        .Callback(RejectPrefix, AskRejectReason)
        .Step(RejectReasonStep, RejectWithReason)
        .PreCheckout(StarsPayments.PayloadPrefix, PreCheckout)
        .SuccessfulPayment(StarsPayments.PayloadPrefix, StarsPaid);

    private static string ShopCurrency(BotContext ctx) =>
        Currencies.Normalize(ctx.Services.GetRequiredService<IOptions<ShopCurrencyOptions>>().Value.Currency);

    // Method names are our own texts (no markup), so they go in as they are; what users typed is HTML-encoded.
    private static string F(BotContext ctx, Localized text, params object?[] args) =>
        string.Format(CultureInfo.InvariantCulture, ctx.T(text), args);

    // The user's side

    private static async Task MethodChosen(BotContext ctx)
    {
        var wire = ctx.CallbackData![WalletScreens.DepositMethodCallbackPrefix.Length..];
        var options = ctx.Services.GetRequiredService<IOptions<PaymentsOptions>>().Value;
        if (!PaymentMethods.TryParse(wire, out var method) || !options.IsEnabled(method) ||
            (method == PaymentMethod.Stars && ctx.Channel != ChatChannel.Telegram))
        {
            ctx.AnswerCallback(ctx.T(PaymentTexts.MethodUnavailable), alert: true);
            return;
        }
        await ctx.SetStepAsync(AmountStep, new AmountData(method.WireName()));
        ctx.AnswerCallback();
        var name = WalletScreens.MethodName(ctx.Language, method);
        ctx.EditOrReply(F(ctx, PaymentTexts.EnterAmount, name, ShopCurrency(ctx)));
    }

    /// <summary>"25", "12.50", "12,50", "12.50 USD" → 12.50; null when it isn't a plain positive amount.</summary>
    public static decimal? ParseAmount(string? text, string currency)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var s = text.Trim();
        if (s.EndsWith(currency, StringComparison.OrdinalIgnoreCase)) s = s[..^currency.Length].TrimEnd();
        s = s.Replace(',', '.');
        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)) return null;
        if (amount <= 0 || amount > MaxAmount || !Currencies.TryToMinor(amount, currency, out _)) return null;
        return amount;
    }

    private static async Task AmountEntered(BotContext ctx)
    {
        var data = await ctx.GetStateDataAsync<AmountData>();
        var currency = ShopCurrency(ctx);
        if (data is null || !PaymentMethods.TryParse(data.Method, out var method))
        {
            await ctx.ClearStateAsync();
            ctx.Reply(ctx.T(PaymentTexts.MethodUnavailable));
            return;
        }
        if (ParseAmount(ctx.Message?.Text, currency) is not { } amount)
        {
            var scale = Currencies.Scale(currency);
            ctx.Reply(F(ctx, PaymentTexts.BadAmount, currency, Currencies.ToMajor(1, currency).ToString("F" + scale, CultureInfo.InvariantCulture),
                MaxAmount.ToString("0", CultureInfo.InvariantCulture), scale));
            return;
        }
        await ctx.ClearStateAsync();

        var creator = ctx.Services.GetRequiredService<PaymentCreator>();
        // No outside call here: this runs inside the processor's transaction (see PaymentPreparation).
        var (p, error) = await creator.CreatePendingAsync(
            new CreatePaymentRequest(ctx.User.Id, method.WireName(), "wallet_topup", null, amount, currency), ctx.CancellationToken);
        if (p is null)
        {
            ctx.Reply(ctx.T(PaymentTexts.TryLater));
            return;
        }
        var amountText = Currencies.Format(p.Amount, p.Currency);
        if (PaymentCreator.NeedsPreparation(p))
        {
            ctx.Reply(F(ctx, PaymentTexts.Preparing, amountText));
            PaymentPreparation.Enqueue(ctx.Services.GetRequiredService<JobQueue>(), p, ctx.Chat, ctx.Language);
            return;
        }
        switch (method)
        {
            case PaymentMethod.ManualBank or PaymentMethod.ManualBlik:
                var instructions = ctx.Services.GetRequiredService<ManualTransfers>().Instructions(p);
                await ctx.SetStepAsync(ProofStep, new ProofData(p.Id, p.Reference!));
                ctx.Reply(F(ctx, PaymentTexts.ManualInstructionsTitle, p.Reference, amountText) + "\n\n" + Html(instructions) + "\n\n" +
                    ctx.T(PaymentTexts.SendProof));
                break;

            case PaymentMethod.Stars:
                ctx.Services.GetRequiredService<StarsPayments>().EnqueueInvoice(ctx.Chat, p, ctx.T(PaymentTexts.StarsTitle),
                    F(ctx, PaymentTexts.StarsDescription, amountText, p.PayAmount));
                break;

            default: // Robokassa: a signed URL, no outside call
                SendPayLink(ctx.Outbox, ctx.Chat, ctx.Language, p, p.PayUrl!);
                break;
        }
    }

    internal static string Format(string language, Localized text, params object?[] args) =>
        string.Format(CultureInfo.InvariantCulture, text.In(language), args);

    /// <summary>The payment link as a URL button (Stripe Checkout, Robokassa).</summary>
    internal static void SendPayLink(Outbox outbox, ChatTarget to, string language, Payment p, string url)
    {
        var amountText = Currencies.Format(p.Amount, p.Currency);
        var provider = p.Method == PaymentMethod.Stripe ? "Stripe" : "Robokassa";
        outbox.SendText(to, Format(language, PaymentTexts.PayByLink, amountText, provider),
            new InlineKeyboardMarkup(InlineKeyboardButton.WithUrl(Format(language, PaymentTexts.PayButton, amountText), url)));
    }

    /// <summary>The amount in coin, the address and the quote's expiry, then the BIP21 QR code as a photo.</summary>
    internal static void SendCryptoInstructions(Outbox outbox, ChatTarget to, string language, Payment p, CryptoDeposit deposit)
    {
        var coinAmount = Currencies.ToMajor(p.PayAmount, p.PayCurrency).ToString("0.########", CultureInfo.InvariantCulture) + " " + p.PayCurrency;
        var coinName = WalletScreens.MethodName(language, p.Method);
        outbox.SendText(to, Format(language, p.Purpose == PaymentPurpose.Order ? PaymentTexts.CryptoOrderInstructions : PaymentTexts.CryptoInstructions, coinAmount, Currencies.Format(p.Amount, p.Currency), coinName,
            deposit.Address, deposit.QuoteExpiresAt));
        outbox.SendPhoto(to, $"{p.Method.WireName()}-{p.Id}.png", CryptoPayments.QrPng(p.PayUrl!), Format(language, PaymentTexts.QrCaption, coinAmount));
    }

    private static async Task ProofSent(BotContext ctx)
    {
        var data = await ctx.GetStateDataAsync<ProofData>();
        var m = ctx.Message;
        if (data is null)
        {
            await ctx.ClearStateAsync();
            ctx.Reply(ctx.T(PaymentTexts.ProofTooLate));
            return;
        }
        var (fileId, kind) = m?.Photo is { Length: > 0 } photos ? (photos[^1].FileId, "photo")
            : m?.Document is { } doc ? (doc.FileId, "document") : (null, null);
        if (fileId is null)
        {
            ctx.Reply(F(ctx, PaymentTexts.ProofExpected, data.Reference));
            return;
        }
        await ctx.ClearStateAsync();
        var outcome = await ctx.Services.GetRequiredService<ManualTransfers>().AttachProofAsync(data.PaymentId, fileId, kind!, ctx.CancellationToken);
        if (outcome != ProofOutcome.Attached)
        {
            ctx.Reply(ctx.T(PaymentTexts.ProofTooLate));
            return;
        }
        var p = await ctx.Db.Payments.AsNoTracking().SingleAsync(x => x.Id == data.PaymentId, ctx.CancellationToken);
        ctx.Reply(F(ctx, PaymentTexts.ProofReceived, p.Reference, Currencies.Format(p.Amount, p.Currency)));
        await NotifyAdminsAsync(ctx, p, fileId, kind!);
    }

    /// <summary>
    /// Every operator in Admin:TelegramIds gets the proof with Approve / Reject buttons: in Telegram, or in the
    /// sandbox (chat = the operator's id) when the depositor is a sandbox user.
    /// </summary>
    private static async Task NotifyAdminsAsync(BotContext ctx, Payment p, string fileId, string kind)
    {
        var ids = ctx.Services.GetRequiredService<IOptions<AdminOptions>>().Value.TelegramAdminIds.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        if (ids.Count == 0) return;
        var channel = ctx.Channel == ChatChannel.Sandbox ? ChatChannel.Sandbox : ChatChannel.Telegram;
        var known = await ctx.Db.Users.AsNoTracking().Where(u => u.Channel == channel && ids.Contains(u.ExternalId))
            .ToDictionaryAsync(u => u.ExternalId, ctx.CancellationToken);
        var who = ctx.User.Username is { } un ? $"{ctx.User.DisplayName} (@{un}, {ctx.Channel} {ctx.User.ExternalId})" : $"{ctx.User.DisplayName} ({ctx.Channel} {ctx.User.ExternalId})";
        foreach (var id in ids)
        {
            var admin = known.GetValueOrDefault(id);
            if (admin?.IsBlocked == true) continue;
            var lang = admin?.LanguageCode ?? Languages.English;
            var method = WalletScreens.MethodName(lang, p.Method);
            var text = string.Format(CultureInfo.InvariantCulture, PaymentTexts.AdminNewDeposit.In(lang), p.Id, p.Reference,
                Currencies.Format(p.Amount, p.Currency), method, Html(who), kind);
            var to = new ChatTarget(channel, id, admin?.Id);
            var keyboard = DecisionKeyboard(lang, p.Id);
            // A Telegram file id can be sent on as it is; the sandbox's are not Telegram's.
            if (ctx.Channel != ChatChannel.Telegram) ctx.Outbox.SendText(to, text, keyboard);
            else if (kind == "photo") ctx.Outbox.SendPhoto(to, fileId, text, keyboard);
            else ctx.Outbox.SendDocument(to, fileId, text, keyboard);
        }
    }

    private static InlineKeyboardButton[] DecisionRow(string lang, long id) =>
    [
        InlineKeyboardButton.WithCallbackData(string.Format(CultureInfo.InvariantCulture, PaymentTexts.ApproveButton.In(lang), id), ApprovePrefix + id),
        InlineKeyboardButton.WithCallbackData(string.Format(CultureInfo.InvariantCulture, PaymentTexts.RejectButton.In(lang), id), RejectPrefix + id),
    ];

    private static InlineKeyboardMarkup DecisionKeyboard(string lang, long id) => new(DecisionRow(lang, id));

    // The operators' side

    private static string Operator(BotContext ctx) => $"{ctx.Channel}:{ctx.User.ExternalId} ({ctx.User.DisplayName})";

    internal static async Task ListPending(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            ctx.Reply(ctx.T(PaymentTexts.OperatorsOnly));
            return;
        }
        var q = from p in ctx.Db.Payments.AsNoTracking()
                join u in ctx.Db.Users.AsNoTracking() on p.UserId equals u.Id
                where p.Status == PaymentStatus.Pending && (p.Method == PaymentMethod.ManualBank || p.Method == PaymentMethod.ManualBlik)
                orderby p.Id descending
                select new { p.Id, p.Reference, p.Amount, p.Currency, p.Method, p.ProofFileId, p.ProofKind, User = u };
        var total = await q.CountAsync(ctx.CancellationToken);
        if (total == 0)
        {
            ctx.Reply(ctx.T(PaymentTexts.NoPendingDeposits));
            return;
        }
        var rows = await q.Take(ListLimit).ToListAsync(ctx.CancellationToken);
        var lines = rows.Select(r => F(ctx, PaymentTexts.PendingDepositLine, r.Id, r.Reference, Currencies.Format(r.Amount, r.Currency),
            WalletScreens.MethodName(ctx.Language, r.Method),
            Html(r.User.DisplayName),
            ctx.T(r.ProofFileId is null ? PaymentTexts.ProofNo : PaymentTexts.ProofYes)));
        ctx.Reply(F(ctx, PaymentTexts.PendingDepositsTitle, total) + "\n" + string.Join("\n", lines),
            new InlineKeyboardMarkup(rows.Select(r => DecisionRow(ctx.Language, r.Id))));
        // The proofs themselves, each with its buttons, so the operator decides looking at it. A Telegram file id
        // can be sent on as it is; a sandbox upload's cannot.
        if (ctx.Channel != ChatChannel.Telegram) return;
        foreach (var r in rows.Where(r => r.ProofFileId is not null && r.User.Channel == ChatChannel.Telegram).Take(ProofLimit))
        {
            var caption = F(ctx, PaymentTexts.PendingDepositLine, r.Id, r.Reference, Currencies.Format(r.Amount, r.Currency),
                WalletScreens.MethodName(ctx.Language, r.Method), Html(r.User.DisplayName), ctx.T(PaymentTexts.ProofYes));
            if (r.ProofKind == "photo") ctx.Outbox.SendPhoto(ctx.Chat, r.ProofFileId!, caption, DecisionKeyboard(ctx.Language, r.Id));
            else ctx.Outbox.SendDocument(ctx.Chat, r.ProofFileId!, caption, DecisionKeyboard(ctx.Language, r.Id));
        }
    }

    /// <summary>At most this many proofs follow the list, so a long backlog does not flood the chat.</summary>
    private const int ProofLimit = 5;

    private static long? IdAfter(string? data, string prefix) =>
        data is not null && long.TryParse(data.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    private static async Task<Payment?> ManualDepositAsync(BotContext ctx, long? id) =>
        id is null ? null : await ctx.Db.Payments.AsNoTracking()
            .FirstOrDefaultAsync(p => p.Id == id && (p.Method == PaymentMethod.ManualBank || p.Method == PaymentMethod.ManualBlik), ctx.CancellationToken);

    private static string StatusName(PaymentStatus s) => s.ToString().ToUpperInvariant();

    private static async Task Approve(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            ctx.AnswerCallback(ctx.T(PaymentTexts.OperatorsOnly), alert: true);
            return;
        }
        var id = IdAfter(ctx.CallbackData, ApprovePrefix);
        if (await ManualDepositAsync(ctx, id) is not { } p)
        {
            ctx.AnswerCallback(F(ctx, PaymentTexts.DepositNotFound, id), alert: true);
            return;
        }
        var result = await ctx.Services.GetRequiredService<ManualTransfers>().ApproveAsync(p.Id, Operator(ctx), ctx.CancellationToken);
        if (result.Outcome != CompleteOutcome.Completed)
        {
            var now = await ctx.Db.Payments.AsNoTracking().Where(x => x.Id == p.Id).Select(x => x.Status).SingleAsync(ctx.CancellationToken);
            ctx.AnswerCallback(F(ctx, PaymentTexts.AlreadyDecided, p.Id, StatusName(now)), alert: true);
            return;
        }
        var owner = await ctx.Db.Users.AsNoTracking().SingleAsync(u => u.Id == p.UserId, ctx.CancellationToken);
        ctx.AnswerCallback(ctx.T(PaymentTexts.ApprovedToast));
        ctx.Reply(F(ctx, PaymentTexts.Approved, p.Id, p.Reference, Currencies.Format(p.Amount, p.Currency), Html(owner.DisplayName)));
    }

    private static async Task AskRejectReason(BotContext ctx)
    {
        if (!ctx.IsAdmin)
        {
            ctx.AnswerCallback(ctx.T(PaymentTexts.OperatorsOnly), alert: true);
            return;
        }
        var id = IdAfter(ctx.CallbackData, RejectPrefix);
        var p = await ManualDepositAsync(ctx, id);
        if (p is null || p.Status != PaymentStatus.Pending)
        {
            ctx.AnswerCallback(p is null ? F(ctx, PaymentTexts.DepositNotFound, id) : F(ctx, PaymentTexts.AlreadyDecided, p.Id, StatusName(p.Status)), alert: true);
            return;
        }
        await ctx.SetStepAsync(RejectReasonStep, new RejectData(p.Id));
        ctx.AnswerCallback();
        ctx.Reply(F(ctx, PaymentTexts.AskRejectReason, p.Id, p.Reference, Currencies.Format(p.Amount, p.Currency)));
    }

    private static async Task RejectWithReason(BotContext ctx)
    {
        var data = await ctx.GetStateDataAsync<RejectData>();
        if (!ctx.IsAdmin || data is null)
        {
            await ctx.ClearStateAsync();
            ctx.Reply(ctx.T(PaymentTexts.OperatorsOnly));
            return;
        }
        var reason = ctx.Message?.Text?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 500)
        {
            ctx.Reply(ctx.T(PaymentTexts.RejectReasonExpected));
            return;
        }
        await ctx.ClearStateAsync();
        var p = await ManualDepositAsync(ctx, data.PaymentId);
        if (p is not null && await ctx.Services.GetRequiredService<ManualTransfers>().RejectAsync(p.Id, reason, Operator(ctx), ctx.CancellationToken))
        {
            ctx.Reply(F(ctx, PaymentTexts.RejectedByAdmin, p.Id, p.Reference, Html(reason)));
            return;
        }
        var status = p is null ? null : await ctx.Db.Payments.AsNoTracking().Where(x => x.Id == p.Id).Select(x => (PaymentStatus?)x.Status).SingleAsync(ctx.CancellationToken);
        ctx.Reply(status is null ? F(ctx, PaymentTexts.DepositNotFound, data.PaymentId) : F(ctx, PaymentTexts.AlreadyDecided, data.PaymentId, StatusName(status.Value)));
    }

    // Telegram Stars

    private static async Task PreCheckout(BotContext ctx)
    {
        var q = ctx.Update.PreCheckoutQuery!;
        var result = await ctx.Services.GetRequiredService<StarsPayments>()
            .ValidatePreCheckoutAsync(q.InvoicePayload, q.TotalAmount, q.Currency, ctx.CancellationToken);
        ctx.Outbox.AnswerPreCheckout(ctx.Chat, q.Id, result.Ok ? null : result.ErrorMessage);
    }

    /// <summary>Completes once per telegram_payment_charge_id; the completion itself tells the user (PaymentService).</summary>
    private static async Task StarsPaid(BotContext ctx)
    {
        var paid = ctx.Message!.SuccessfulPayment!;
        var result = await ctx.Services.GetRequiredService<StarsPayments>()
            .CompleteStarsPaymentAsync(paid.TelegramPaymentChargeId, paid.InvoicePayload, paid.TotalAmount, ctx.CancellationToken);
        if (result.Outcome != CompleteOutcome.Completed) ctx.Status = UpdateStatus.Ignored;
    }
}
