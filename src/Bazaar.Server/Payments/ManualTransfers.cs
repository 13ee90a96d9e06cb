using System.Security.Cryptography;
using Bazaar.Server.Data;
using Bazaar.Server.Wallet;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Bazaar.Server.Payments;

public enum ProofOutcome { Attached, NotFound, NotManual, NotPending }

/// <summary>Bank and BLIK transfers: a reference code, instructions, proof from the user, an operator's decision.</summary>
public sealed class ManualTransfers(BazaarDb db, PaymentService payments, IOptions<PaymentsOptions> options, TimeProvider clock)
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
        var n = await db.Payments
            .Where(p => p.Id == paymentId && p.Status == PaymentStatus.Pending &&
                        (p.Method == PaymentMethod.ManualBank || p.Method == PaymentMethod.ManualBlik))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.ProofFileId, fileId).SetProperty(p => p.ProofKind, kind)
                .SetProperty(p => p.ProofAt, now), ct);
        if (n == 1) return ProofOutcome.Attached;
        var p = await db.Payments.AsNoTracking().FirstOrDefaultAsync(x => x.Id == paymentId, ct);
        return p is null ? ProofOutcome.NotFound : !p.Method.IsManual() ? ProofOutcome.NotManual : ProofOutcome.NotPending;
    }

    public Task<CompleteResult> ApproveAsync(long paymentId, string by, CancellationToken ct) =>
        payments.CompleteAsync(paymentId, null, null, by, null, ct);

    public async Task<bool> RejectAsync(long paymentId, string reason, string by, CancellationToken ct)
    {
        await using var tx = await PaymentsTransaction.BeginAsync(db, ct);
        var n = await db.Payments.Where(p => p.Id == paymentId && p.Status == PaymentStatus.Pending &&
                                             (p.Method == PaymentMethod.ManualBank || p.Method == PaymentMethod.ManualBlik))
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, PaymentStatus.Failed)
                .SetProperty(p => p.StatusReason, reason).SetProperty(p => p.DecidedBy, by), ct);
        if (n == 0) return false;
        var p = await db.Payments.AsNoTracking().FirstAsync(x => x.Id == paymentId, ct);
        await payments.NotifyAsync(p.UserId, t => string.Format(t.Rejected, p.Reference, System.Net.WebUtility.HtmlEncode(reason)), ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
