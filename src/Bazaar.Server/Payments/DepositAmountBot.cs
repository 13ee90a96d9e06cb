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
using static Bazaar.Server.Payments.DepositBot;

/// <summary>The depositor chooses a method and types an amount; the reply is what that method needs next.</summary>
public sealed class DepositAmountBot(PaymentCreator creator, JobQueue jobs, ManualTransfers manual, StarsPayments stars,
    IOptions<PaymentsOptions> options, IOptions<ShopCurrencyOptions> shop)
{
    private string ShopCurrency => Currencies.Normalize(shop.Value.Currency);

    public async Task MethodChosen(BotContext ctx)
    {
        var wire = ctx.CallbackData![WalletScreens.DepositMethodCallbackPrefix.Length..];
        if (!PaymentMethods.TryParse(wire, out var method) || !options.Value.IsEnabled(method) ||
            (method == PaymentMethod.Stars && ctx.Channel != ChatChannel.Telegram))
        {
            ctx.AnswerCallback(ctx.T(PaymentTexts.MethodUnavailable), alert: true);
            return;
        }
        await ctx.SetStepAsync(AmountStep, new AmountData(method.WireName()));
        ctx.AnswerCallback();
        var name = WalletScreens.MethodName(ctx.Language, method);
        ctx.EditOrReply(F(ctx, PaymentTexts.EnterAmount, name, ShopCurrency));
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

    public async Task AmountEntered(BotContext ctx)
    {
        var data = await ctx.GetStateDataAsync<AmountData>();
        var currency = ShopCurrency;
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
            PaymentPreparation.Enqueue(jobs, p, ctx.Chat, ctx.Language);
            return;
        }
        switch (method)
        {
            case var m when m.IsManual():
                var instructions = manual.Instructions(p);
                await ctx.SetStepAsync(ProofStep, new ProofData(p.Id, p.Reference!));
                ctx.Reply(F(ctx, PaymentTexts.ManualInstructionsTitle, p.Reference, amountText) + "\n\n" + Html(instructions) + "\n\n" +
                    ctx.T(PaymentTexts.SendProof));
                break;

            case PaymentMethod.Stars:
                stars.EnqueueInvoice(ctx.Chat, p, ctx.T(PaymentTexts.StarsTitle),
                    F(ctx, PaymentTexts.StarsDescription, amountText, p.PayAmount));
                break;

            default: // Robokassa: a signed URL, no outside call
                SendPayLink(ctx.Outbox, ctx.Chat, ctx.Language, p, p.PayUrl!);
                break;
        }
    }
}
