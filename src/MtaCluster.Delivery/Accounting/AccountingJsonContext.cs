using System.Text.Json.Serialization;

namespace MtaCluster.Delivery.Accounting;

/// <summary>
/// Source-generated serialisation for accounting records: no reflection on the hot path, and
/// snake_case field names as log processors (and PowerMTA's CSV headers) expect. Null fields are written
/// so every line has the same keys.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = false)]
[JsonSerializable(typeof(AccountingRecord))]
public sealed partial class AccountingJsonContext : JsonSerializerContext;
