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
/// Deposits in the bot, in three parts: <see cref="DepositAmountBot"/> (method from the wallet's Deposit screen →
/// amount → per method instructions, address + QR, Stars invoice or a payment link), <see cref="DepositProofBot"/>
/// (the manual transfer's proof, sent on to the operators) and <see cref="DepositReviewBot"/> (operators' /deposits
/// with Approve / Reject). Telegram Stars' pre_checkout_query and successful_payment go straight to StarsPayments.
/// </summary>
public static class DepositBot
{
    public const string AmountStep = "deposit.amount";
    public const string ProofStep = "deposit.proof";
    public const string RejectReasonStep = "deposit.reject_reason";
    public const string ApprovePrefix = "deposit:approve:";
    public const string RejectPrefix = "deposit:reject:";
    public const decimal MaxAmount = 1_000_000m;

    public sealed record AmountData(string Method);
    public sealed record ProofData(long PaymentId, string Reference);
    public sealed record RejectData(long PaymentId);

    public static void AddDepositBot(this IServiceCollection services)
    {
        services.AddScoped<DepositAmountBot>();
        services.AddScoped<DepositProofBot>();
        services.AddScoped<DepositReviewBot>();
        services.AddBotRoutes(Register);
    }

    public static void Register(BotRoutes r) => r
        .Callback<DepositAmountBot>(WalletScreens.DepositMethodCallbackPrefix, (bot, ctx) => bot.MethodChosen(ctx))
        .Step<DepositAmountBot>(AmountStep, (bot, ctx) => bot.AmountEntered(ctx))
        .Step<DepositProofBot>(ProofStep, (bot, ctx) => bot.ProofSent(ctx))
        .Command<DepositReviewBot>("deposits", (bot, ctx) => bot.ListPending(ctx), PaymentTexts.DepositsCommand, hidden: true)
        .Callback<DepositReviewBot>(ApprovePrefix, (bot, ctx) => bot.Approve(ctx))
        .Callback<DepositReviewBot>(RejectPrefix, (bot, ctx) => bot.AskRejectReason(ctx))
        .Step<DepositReviewBot>(RejectReasonStep, (bot, ctx) => bot.RejectWithReason(ctx))
        .PreCheckout<StarsPayments>(StarsPayments.PayloadPrefix, PreCheckout)
        .SuccessfulPayment<StarsPayments>(StarsPayments.PayloadPrefix, StarsPaid);

    // Method names are our own texts (no markup), so they go in as they are; what users typed is HTML-encoded.
    internal static string F(BotContext ctx, Localized text, params object?[] args) =>
        string.Format(CultureInfo.InvariantCulture, ctx.T(text), args);

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

    internal static InlineKeyboardButton[] DecisionRow(string lang, long id) =>
    [
        InlineKeyboardButton.WithCallbackData(string.Format(CultureInfo.InvariantCulture, PaymentTexts.ApproveButton.In(lang), id), ApprovePrefix + id),
        InlineKeyboardButton.WithCallbackData(string.Format(CultureInfo.InvariantCulture, PaymentTexts.RejectButton.In(lang), id), RejectPrefix + id),
    ];

    internal static InlineKeyboardMarkup DecisionKeyboard(string lang, long id) => new(DecisionRow(lang, id));

    // Telegram Stars

    private static async Task PreCheckout(StarsPayments stars, BotContext ctx)
    {
        var q = ctx.Update.PreCheckoutQuery!;
        var result = await stars.ValidatePreCheckoutAsync(q.InvoicePayload, q.TotalAmount, q.Currency, ctx.CancellationToken);
        ctx.Outbox.AnswerPreCheckout(ctx.Chat, q.Id, result.Ok ? null : result.ErrorMessage);
    }

    /// <summary>Completes once per telegram_payment_charge_id; the completion itself tells the user (PaymentService).</summary>
    private static async Task StarsPaid(StarsPayments stars, BotContext ctx)
    {
        var paid = ctx.Message!.SuccessfulPayment!;
        var result = await stars.CompleteStarsPaymentAsync(paid.TelegramPaymentChargeId, paid.InvoicePayload, paid.TotalAmount, ctx.CancellationToken);
        if (result.Outcome != CompleteOutcome.Completed) ctx.Status = UpdateStatus.Ignored;
    }
}
