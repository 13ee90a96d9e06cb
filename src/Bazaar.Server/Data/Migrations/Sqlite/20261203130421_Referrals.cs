using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Bazaar.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Referrals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "referral_awards",
                columns: table => new
                {
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Code = table.Column<string>(type: "TEXT", maxLength: 48, nullable: false),
                    AwardedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_referral_awards", x => new { x.UserId, x.Kind, x.Code });
                });

            migrationBuilder.CreateTable(
                name: "referral_commissions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    ReferrerId = table.Column<long>(type: "INTEGER", nullable: false),
                    RefereeId = table.Column<long>(type: "INTEGER", nullable: false),
                    PaymentId = table.Column<long>(type: "INTEGER", nullable: false),
                    SourceRef = table.Column<string>(type: "TEXT", maxLength: 160, nullable: false),
                    Amount = table.Column<long>(type: "INTEGER", nullable: false),
                    Currency = table.Column<string>(type: "TEXT", maxLength: 8, nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ReversedAmount = table.Column<long>(type: "INTEGER", nullable: false),
                    ReversedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    ReversalRef = table.Column<string>(type: "TEXT", maxLength: 160, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_referral_commissions", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "referral_profiles",
                columns: table => new
                {
                    UserId = table.Column<long>(type: "INTEGER", nullable: false),
                    ShowNameInTop = table.Column<bool>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_referral_profiles", x => x.UserId);
                });

            migrationBuilder.CreateTable(
                name: "referrals",
                columns: table => new
                {
                    RefereeId = table.Column<long>(type: "INTEGER", nullable: false),
                    ReferrerId = table.Column<long>(type: "INTEGER", nullable: false),
                    LinkedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ActivatedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LinkedBy = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_referrals", x => x.RefereeId);
                    table.ForeignKey(
                        name: "FK_referrals_users_RefereeId",
                        column: x => x.RefereeId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_referrals_users_ReferrerId",
                        column: x => x.ReferrerId,
                        principalTable: "users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_referral_commissions_CreatedAt",
                table: "referral_commissions",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_referral_commissions_PaymentId",
                table: "referral_commissions",
                column: "PaymentId");

            migrationBuilder.CreateIndex(
                name: "IX_referral_commissions_ReferrerId_CreatedAt",
                table: "referral_commissions",
                columns: new[] { "ReferrerId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_referral_commissions_SourceRef",
                table: "referral_commissions",
                column: "SourceRef",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_referrals_ReferrerId_LinkedAt",
                table: "referrals",
                columns: new[] { "ReferrerId", "LinkedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "referral_awards");

            migrationBuilder.DropTable(
                name: "referral_commissions");

            migrationBuilder.DropTable(
                name: "referral_profiles");

            migrationBuilder.DropTable(
                name: "referrals");
        }
    }
}
