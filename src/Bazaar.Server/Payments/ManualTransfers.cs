using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Telegram.Bot.Requests;
using Telegram.Bot.Types.ReplyMarkups;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Payments;

public enum ProofOutcome { Attached, NotFound, NotManual, NotPending }

/// <summary>Bank and BLIK transfers: a reference code, instructions, proof from the user, an operator's decision.</summary>
public sealed class ManualTransfers(BazaarDb db, PaymentService payments, Outbox outbox, IOptions<PaymentsOptions> options, TimeProvider clock)
{
    private const string Alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    public static string NewReference()
    {
        Span<char> c = stackalloc char[8];
        for (var i = 0; i < c.Length; i++) c[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        return $"BZ-{c[..4]}-{c[4..]}";
    }

    public string Instructions(Payment p)
    {
        var key = p.Method == PaymentMethod.ManualBlik ? "Blik" : "Bank";
        var template = options.Value.Manual.Instructions.GetValueOrDefault(key) ?? "";
        var amount = Currencies.Format(p.Amount, p.Currency);
        return template.Replace("{reference}", p.Reference).Replace("{amount}", amount);
    }

    public async Task<ProofOutcome> AttachProofAsync(long paymentId, string fileId, string kind, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var n = await db.Payments.Where(PaymentMethods.IsManualTransfer)
            .Where(p => p.Id == paymentId && p.Status == PaymentStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.ProofFileId, fileId).SetProperty(p => p.ProofKind, kind)
                .SetProperty(p => p.ProofAt, now), ct);
        if (n == 1) return ProofOutcome.Attached;
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == paymentId, ct);
        return p is null ? ProofOutcome.NotFound : !p.Method.IsManual() ? ProofOutcome.NotManual : ProofOutcome.NotPending;
    }

    public async Task<CompleteResult> ApproveAsync(long paymentId, string by, CancellationToken ct)
    {
        var result = await payments.CompleteAsync(paymentId, null, null, by, null, ct);
        if (result.Outcome == CompleteOutcome.Completed)
        {
            // After the credit has committed: a crash here leaves buttons that answer "no longer pending", nothing worse.
            await RetireDecisionButtonsAsync(paymentId, ct);
            await db.SaveChangesAsync(ct);
        }
        return result;
    }

    /// <summary>
    /// Once a deposit is decided, its Approve / Reject buttons leave every message that shows them: each operator's
    /// notice and every /deposits list (other deposits' buttons stay). A message not yet sent loses them before it goes.
    /// </summary>
    internal async Task RetireDecisionButtonsAsync(long paymentId, CancellationToken ct)
    {
        var since = await db.Payments.AsNoTracking().Where(p => p.Id == paymentId).Select(p => p.CreatedAt).FirstAsync(ct);
        string[] mine = [DepositBot.ApprovePrefix + paymentId, DepositBot.RejectPrefix + paymentId];
        var needle = $"\"callback_data\":\"{mine[0]}\"";
        string[] methods = ["sendMessage", "sendPhoto", "sendDocument", "editMessageReplyMarkup"];
        var rows = await db.Outbox.Where(m => m.CreatedAt >= since && methods.Contains(m.Method) && m.Payload.Contains(needle))
            .OrderBy(m => m.Id).ToListAsync(ct);
        var latest = new Dictionary<(string Channel, string Chat, int MessageId), JsonArray>();
        foreach (var m in rows)
        {
            var payload = JsonNode.Parse(m.Payload)!.AsObject();
            if (payload["reply_markup"]?["inline_keyboard"] is not JsonArray keyboard) continue;
            int? messageId = m.Method == "editMessageReplyMarkup" ? payload["message_id"]?.GetValue<int>()
                : m.Status == OutboxStatus.Sent && m.Result is { } r ? JsonNode.Parse(r)?["message_id"]?.GetValue<int>() : null;
            if (messageId is { } id) latest[(m.Channel, m.ChatId, id)] = keyboard;
            else if (m.Status == OutboxStatus.Pending && m.LockedBy is null && m.Method != "editMessageReplyMarkup")
            {
                var rest = Without(keyboard, mine);
                if (rest.Count == 0) payload.Remove("reply_markup");
                else payload["reply_markup"] = new JsonObject { ["inline_keyboard"] = rest };
                m.Payload = payload.ToJsonString();
            }
        }
        foreach (var ((channel, chat, id), keyboard) in latest)
        {
            var rest = Without(keyboard, mine);
            var markup = new InlineKeyboardMarkup(rest.Select(row => row!.AsArray().Select(b =>
                InlineKeyboardButton.WithCallbackData(b!["text"]!.GetValue<string>(), b["callback_data"]!.GetValue<string>()))));
            outbox.Enqueue(new ChatTarget(channel, chat, null), new EditMessageReplyMarkupRequest
            {
                ChatId = long.TryParse(chat, out var c) ? c : chat, MessageId = id, ReplyMarkup = markup,
            });
        }
    }

    private static JsonArray Without(JsonArray keyboard, string[] callbacks) =>
        new(keyboard.Where(row => row is JsonArray buttons && !buttons.Any(b => callbacks.Contains(b?["callback_data"]?.GetValue<string>())))
            .Select(row => row!.DeepClone()).ToArray());

    public async Task<bool> RejectAsync(long paymentId, string reason, string by, CancellationToken ct)
    {
        await using var tx = await PaymentsTransaction.BeginAsync(db, ct);
        var n = await db.Payments.Where(PaymentMethods.IsManualTransfer).Where(p => p.Id == paymentId && p.Status == PaymentStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PaymentStatus.Failed)
                .SetProperty(p => p.StatusReason, reason).SetProperty(p => p.DecidedBy, by), ct);
        if (n == 0) return false;
        var p = await db.Payments.AsNoTracking().FirstAsync(x => x.Id == paymentId, ct);
        await payments.CountAsync(paymentId, PaymentStatus.Failed, ct);
        await payments.NotifyAsync(p.UserId, lang => string.Format(PaymentTexts.Rejected.In(lang), p.Reference, System.Net.WebUtility.HtmlEncode(reason)), ct);
        await RetireDecisionButtonsAsync(paymentId, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
