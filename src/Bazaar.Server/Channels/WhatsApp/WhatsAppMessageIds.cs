using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Channels.WhatsApp;

/// <summary>
/// A WhatsApp message id (wamid) and the number the inbox knows it by. Meta re-delivers a webhook until it gets a 200,
/// so the same wamid always maps to the same update id and the inbox's unique (channel, bot, update_id) keeps it once.
/// </summary>
public sealed class WhatsAppMessageId
{
    public int Id { get; set; }
    public required string WaMessageId { get; set; }
    public DateTime ReceivedAt { get; set; }
}

internal sealed class WhatsAppMessageIdMap : IEntityTypeConfiguration<WhatsAppMessageId>
{
    public void Configure(EntityTypeBuilder<WhatsAppMessageId> b)
    {
        b.ToTable("whatsapp_message_ids");
        b.Property(x => x.WaMessageId).HasMaxLength(128);
        b.HasIndex(x => x.WaMessageId).IsUnique();
        b.HasIndex(x => x.ReceivedAt);
    }
}

public static class WhatsAppMessageIds
{
    /// <summary>The update id of a wamid: the existing one, or a new one (one upsert, safe when Meta sends a webhook twice at once).</summary>
    public static async Task<int> UpdateIdOfAsync(BazaarDb db, string wamid, DateTime now, CancellationToken ct)
    {
        var ids = await db.Database.SqlQuery<int>($"""
            INSERT INTO whatsapp_message_ids ("WaMessageId", "ReceivedAt") VALUES ({wamid}, {now})
            ON CONFLICT ("WaMessageId") DO UPDATE SET "WaMessageId" = excluded."WaMessageId"
            RETURNING "Id" AS "Value"
            """).ToListAsync(ct);
        return ids[0];
    }
}
