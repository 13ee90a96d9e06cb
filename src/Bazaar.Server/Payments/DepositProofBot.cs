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

/// <summary>The manual transfer's proof: a photo or document attached to the pending payment, then sent on to every operator.</summary>
public sealed class DepositProofBot(ManualTransfers manual, IOptions<AdminOptions> admin)
{
    public async Task ProofSent(BotContext ctx)
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
        var outcome = await manual.AttachProofAsync(data.PaymentId, fileId, kind!, ctx.CancellationToken);
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
    private async Task NotifyAdminsAsync(BotContext ctx, Payment p, string fileId, string kind)
    {
        var ids = admin.Value.TelegramAdminIds.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
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
}
