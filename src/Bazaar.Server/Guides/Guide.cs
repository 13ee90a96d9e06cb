using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Bazaar.Server.Guides;

/// <summary>
/// A help topic operators write: a short topic name (what /guide takes), a title (its button in /help) and a body in
/// Markdown-like text (see <see cref="GuideMarkup"/>), in English and, optionally, Russian (English is shown when missing).
/// </summary>
public sealed class Guide
{
    public long Id { get; set; }
    /// <summary>Lower-case letters, digits, '-' and '_': /guide &lt;topic&gt;.</summary>
    public required string Topic { get; set; }
    /// <summary>Order in the /help menu (smaller first).</summary>
    public int Position { get; set; }
    public required string TitleEn { get; set; }
    public string? TitleRu { get; set; }
    public required string BodyEn { get; set; }
    public string? BodyRu { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }

    public string Title(string language) => language == Conversations.Languages.Russian && !string.IsNullOrWhiteSpace(TitleRu) ? TitleRu : TitleEn;
    public string Body(string language) => language == Conversations.Languages.Russian && !string.IsNullOrWhiteSpace(BodyRu) ? BodyRu : BodyEn;
}

internal sealed class GuideMap : IEntityTypeConfiguration<Guide>
{
    public void Configure(EntityTypeBuilder<Guide> b)
    {
        b.ToTable("guides");
        b.Property(x => x.Topic).HasMaxLength(32);
        b.HasIndex(x => x.Topic).IsUnique();
        b.Property(x => x.TitleEn).HasMaxLength(64);
        b.Property(x => x.TitleRu).HasMaxLength(64);
        b.Property(x => x.BodyEn).HasMaxLength(8000);
        b.Property(x => x.BodyRu).HasMaxLength(8000);
    }
}
