using Microsoft.CodeAnalysis;

namespace NetGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic NetGen reports, in one place. IDs are stable: a removed ID is never reused.
/// AnalyzerReleases.*.md is the table of them; each has a test in Tests/DiagnosticTests.cs.
/// </summary>
/// <remarks>
/// An operation's own checks get the layer and the operation as one name ("Fc Dropout", or "Fc"
/// alone for the layer's Conv or Dense), so a message goes on with the settings, not the name again:
/// "{0}({1}) has a rate", never "{0} Dropout({1})".
/// </remarks>
internal static class DiagnosticDescriptors
{
    private const string Category = "NetGen";

    public static readonly DiagnosticDescriptor NotPartial = Error(
        "NG0001", "Network type must be partial",
        "'{0}' must be declared partial so NetGen can add its generated layers: write 'partial class {0}'");

    public static readonly DiagnosticDescriptor InvalidMember = Error(
        "NG0002", "Layer member has the wrong form",
        "'{0}' carries NetGen operations but is {1}; declare a layer as 'public partial Layer {0} {{ get; }}'");

    public static readonly DiagnosticDescriptor FractionalOutput = Error(
        "NG0003", "Output size is not a whole number",
        "{0} output {1} {2} = {3} is not a whole number; an input of {4} gives {5}, or set Round = Rounding.Floor ({6}) or Rounding.Ceil ({7})");

    public static readonly DiagnosticDescriptor WindowTooLarge = Error(
        "NG0004", "Window larger than the padded input",
        "{0} {1} {2} is larger than its padded input {3}: {4} + 2*{5} = {6}; use a {1} of at most {6}, or more padding");

    public static readonly DiagnosticDescriptor GroupsMismatch = Error(
        "NG0005", "Groups do not divide the channels",
        "{0} Groups = {1} does not divide its {2} {3} ({2} / {1} = {4}); use a group count that divides both the {5} input channels and the {6} filters");

    public static readonly DiagnosticDescriptor ColumnsMismatch = Error(
        "NG0006", "Columns do not divide a layer",
        "{0} has {1} {2}, which do not split evenly over Columns = {3} ({1} / {3} = {4}); use a multiple of {3}, such as {5}");

    public static readonly DiagnosticDescriptor SoftmaxNotLast = Error(
        "NG0007", "Softmax is not the last operation",
        "Softmax on {0} must be the network's last operation, but {1} follows it; move Softmax to the end of the last layer");

    public static readonly DiagnosticDescriptor DropoutRate = Error(
        "NG0008", "Dropout rate outside [0, 1)",
        "{0}({1}) has a rate outside [0, 1); the rate is the probability of zeroing a value, for example Dropout(0.5f)");

    public static readonly DiagnosticDescriptor LrnEvenSize = Error(
        "NG0009", "Response normalisation size is even",
        "{0}({1}) has an even size; the window is centred on each channel, so use an odd size such as {2}");

    public static readonly DiagnosticDescriptor NoLayers = Error(
        "NG0010", "Network has no layers",
        "Network '{0}' has no layers; add one, for example [Dense(10), Softmax] public partial Layer Output {{ get; }}");

    public static readonly DiagnosticDescriptor NotPositive = Error(
        "NG0011", "Value out of range",
        "{0} {1} = {2} must be {3}");

    public static readonly DiagnosticDescriptor SpatialAfterDense = Error(
        "NG0012", "Convolution or pooling after a dense layer",
        "{0} comes after dense layer {1}, whose output is a flat vector of {2} values; put convolutions and pooling before the first dense layer");

    public static readonly DiagnosticDescriptor NotOneLearnable = Error(
        "NG0013", "Layer needs exactly one learnable operation, first",
        "Layer '{0}' {1}; a layer is one Conv or Dense followed by parameter-free operations, for example [Conv(96, Kernel = 11), Relu]");

    public static readonly DiagnosticDescriptor UnreadableArgument = Error(
        "NG0014", "Attribute argument cannot be read",
        "{0}: {1} {2}; it takes {3}");

    public static readonly DiagnosticDescriptor UnsupportedType = Error(
        "NG0015", "Network type is not supported",
        "'{0}' cannot be a network: {1}");

    public static readonly DiagnosticDescriptor PoolPadTooLarge = Error(
        "NG0016", "Pooling pad larger than half the window",
        "{0} pads {1} on each side of a {2}-wide window; a pad over {3} (half the window) makes windows of nothing but padding");

    public static readonly DiagnosticDescriptor TooLarge = Error(
        "NG0017", "Tensor too large",
        "{0} {1} holds {2} values per image, more than the {3} a kernel can index; make the layer smaller");

    public static readonly DiagnosticDescriptor DuplicateLayerName = Error(
        "NG0018", "Two layers with the same name",
        "Layers '{0}' and '{1}' share the name '{2}' that parameters and activations are named by; rename one");

    public static readonly DiagnosticDescriptor LayersInSeveralFiles = Error(
        "NG0019", "Layers declared in more than one file",
        "Layer '{0}' of '{1}' is declared in another file than '{2}'; declaration order is layer order, so declare every layer in one file");

    public static readonly DiagnosticDescriptor GroupsSplitColumns = Error(
        "NG0020", "Groups straddle the columns",
        "{0} Groups = {1} cannot be split over Columns = {2}: {3}; use Groups = 1{4}");

    public static readonly DiagnosticDescriptor LayersFromInvalid = Error(
        "NG0021", "Layers cannot be taken from that type",
        "{0} cannot take its layers from {1}: {2}");

    public static readonly DiagnosticDescriptor ClassesMismatch = Error(
        "NG0022", "Classes disagrees with the last layer",
        "{0} declares Classes = {1}, but its last layer {2} has {3} {4}; make them agree, or leave Classes out");

    public static readonly DiagnosticDescriptor UnknownOperation = Error(
        "NG0023", "An operation the generator does not know",
        "{0} carries '{1}', an operation attribute this NetGen generator has no code for; use the operations NetGen declares (Conv, Dense, Relu, Lrn, MaxPool, AvgPool, Dropout, Softmax), or a NetGen whose generator knows it");

    public static readonly DiagnosticDescriptor RequiredSetting = Error(
        "NG0024", "Required setting left out",
        "{0}: {1} needs {2}, which has no default; write, for example, {3}");

    public static readonly DiagnosticDescriptor WeightStdIgnored = Error(
        "NG0025", "WeightStd set with an Init that ignores it",
        "{0} sets WeightStd = {1}, but its weights are drawn by Init.{2}, which ignores WeightStd; leave WeightStd out, or set Init = Init.Gaussian on the layer");

    public static readonly DiagnosticDescriptor UnknownLayer = Error(
        "NG0026", "Not an earlier layer of this network",
        "{0} reads '{1}', which is not an earlier layer of {2}; name one of {3} with nameof, or move {0} after the layer it reads");

    public static readonly DiagnosticDescriptor AddShapeMismatch = Error(
        "NG0027", "Added shapes differ",
        "{0} adds {1}'s output {2} to its own value {3}; the two must have one shape ({4}); give the layers the same channels and stride, or add a projection layer such as [Conv({5}, Kernel = 1, Stride = ..., Input = nameof({1}))] and add that");

    public static readonly DiagnosticDescriptor JoinNotAfterMain = Error(
        "NG0028", "Add must follow the layer's main operation",
        "{0}: {1} comes after {2}; a join comes right after the layer's Conv, Dense, BatchNorm or pooling, before its activations, so move it there (as in [Conv(...), BatchNorm, Add(...), Relu])");

    public static readonly DiagnosticDescriptor UnreadLayer = Error(
        "NG0029", "Layer output never read",
        "{0}'s output {1} is read by no layer: {2} reads {3}; read {0} with Input = nameof({0}) or Add(nameof({0})) in a later layer, or remove it");

    public static readonly DiagnosticDescriptor BiasBeforeBatchNorm = new(
        "NG0030", "Bias cancelled by batch normalisation",
        "{0} has a bias, but {1} right after it subtracts each channel's mean, which cancels the bias; write Bias = false on {0} (the learned shift is {1}'s bias)",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor RepeatedBatchNorm = Error(
        "NG0031", "Two batch normalisations in one layer",
        "{0} has a second {2}, whose tensors would also be named {1}.{3}.*; put the second {2} in a layer of its own");

    public static readonly DiagnosticDescriptor LayerNameTaken = Error(
        "NG0032", "Layer name taken by the generated code",
        "Layer '{0}' has a name the code generated for {1} uses for {2}; rename the layer");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <summary>Every descriptor, for looking one up by ID.</summary>
    public static readonly DiagnosticDescriptor[] All =
    [
        NotPartial, InvalidMember, FractionalOutput, WindowTooLarge, GroupsMismatch, ColumnsMismatch,
        SoftmaxNotLast, DropoutRate, LrnEvenSize, NoLayers, NotPositive, SpatialAfterDense, NotOneLearnable,
        UnreadableArgument, UnsupportedType, PoolPadTooLarge, TooLarge, DuplicateLayerName, LayersInSeveralFiles,
        GroupsSplitColumns, LayersFromInvalid, ClassesMismatch, UnknownOperation, RequiredSetting,
        WeightStdIgnored, UnknownLayer, AddShapeMismatch, JoinNotAfterMain, UnreadLayer, BiasBeforeBatchNorm, RepeatedBatchNorm,
        LayerNameTaken,
    ];
}
