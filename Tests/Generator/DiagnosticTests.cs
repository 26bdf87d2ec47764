using System.Linq;
using Microsoft.CodeAnalysis;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

/// <summary>
/// One small failing declaration per diagnostic ID: the ID, the text the diagnostic points at, and
/// the whole message. Every ID in AnalyzerReleases.Unshipped.md appears here at least once.
/// </summary>
public class DiagnosticTests
{
    private const string Usings = "using NetGen;\nnamespace Probe;\n";

    public static TheoryData<string, string, string, string> Cases => new()
    {
        {
            "NG0001", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public class Plain { }
            """, "Plain",
            "'Plain' must be declared partial so NetGen can add its generated layers: write 'partial class Plain'"
        },
        {
            "NG0002", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(2)] public Layer? Head; }
            """, "Head",
            "'Head' carries NetGen operations but is a field; declare a layer as 'public partial Layer Head { get; }'"
        },
        {
            "NG0002", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(2)] public partial Layer Head { get; set; } }
            """, "Head",
            "'Head' carries NetGen operations but is settable; declare a layer as 'public partial Layer Head { get; }'"
        },
        {
            "NG0003", """
            [Network(Channels = 3, Height = 224, Width = 224)]
            public partial class Net
            {
                [Conv(96, Kernel = 11, Stride = 4), Relu] public partial Layer Conv1 { get; }
            }
            """, "Conv(96, Kernel = 11, Stride = 4)",
            "Conv1 output height and width (224 - 11 + 2*0) / 4 + 1 = 54.25 is not a whole number; an input of 227 gives 55, or set Round = Rounding.Floor (54) or Rounding.Ceil (55)"
        },
        {
            "NG0003", """
            [Network(Channels = 2, Height = 8, Width = 9)]
            public partial class Net
            {
                [Conv(4, Kernel = 3), MaxPool(2)] public partial Layer Conv1 { get; }
            }
            """, "MaxPool(2)",
            "Conv1 MaxPool output width (7 - 2 + 2*0) / 2 + 1 = 3.5 is not a whole number; an input of 8 gives 4, or set Round = Rounding.Floor (3) or Rounding.Ceil (4)"
        },
        {
            "NG0004", """
            [Network(Channels = 1, Height = 5, Width = 5)]
            public partial class Net { [Conv(4, Kernel = 7)] public partial Layer Conv1 { get; } }
            """, "Conv(4, Kernel = 7)",
            "Conv1 kernel 7 is larger than its padded input height and width: 5 + 2*0 = 5; use a kernel of at most 5, or more padding"
        },
        {
            "NG0005", """
            [Network(Channels = 8, Height = 4, Width = 4)]
            public partial class Net { [Conv(6, Kernel = 1, Groups = 4)] public partial Layer Conv1 { get; } }
            """, "Conv(6, Kernel = 1, Groups = 4)",
            "Conv1 Groups = 4 does not divide its 6 filters (6 / 4 = 1.5); use a group count that divides both the 8 input channels and the 6 filters"
        },
        {
            "NG0005", """
            [Network(Channels = 3, Height = 4, Width = 4)]
            public partial class Net { [Conv(6, Kernel = 1, Groups = 2)] public partial Layer Conv1 { get; } }
            """, "Conv(6, Kernel = 1, Groups = 2)",
            "Conv1 Groups = 2 does not divide its 3 input channels (3 / 2 = 1.5); use a group count that divides both the 3 input channels and the 6 filters"
        },
        {
            "NG0006", """
            [Network(Channels = 1, Height = 4, Width = 4, Columns = 2)]
            public partial class Net
            {
                [Conv(5, Kernel = 1)] public partial Layer Conv1 { get; }
                [Dense(3)] public partial Layer Fc { get; }
            }
            """, "Conv(5, Kernel = 1)",
            "Conv1 has 5 filters, which do not split evenly over Columns = 2 (5 / 2 = 2.5); use a multiple of 2, such as 6"
        },
        {
            "NG0006", """
            [Network(Channels = 1, Height = 4, Width = 4, Columns = 2)]
            public partial class Net
            {
                [Dense(9)] public partial Layer Fc { get; }
                [Dense(3), Softmax] public partial Layer Classes { get; }
            }
            """, "Dense(9)",
            "Fc has 9 units, which do not split evenly over Columns = 2 (9 / 2 = 4.5); use a multiple of 2, such as 10"
        },
        {
            // The last layer may have any number of outputs, but a normalisation sums within a column.
            "NG0006", """
            [Network(Channels = 1, Height = 4, Width = 4, Columns = 2)]
            public partial class Net { [Conv(5, Kernel = 1), Lrn(3)] public partial Layer Conv1 { get; } }
            """, "Conv(5, Kernel = 1)",
            "Conv1 has 5 filters, which do not split evenly over Columns = 2 (5 / 2 = 2.5); use a multiple of 2, such as 6"
        },
        {
            "NG0020", """
            [Network(Channels = 6, Height = 4, Width = 4, Columns = 2)]
            public partial class Net
            {
                [Conv(6, Kernel = 1)] public partial Layer Conv1 { get; }
                [Conv(6, Kernel = 1, Groups = 3)] public partial Layer Conv2 { get; }
            }
            """, "Conv(6, Kernel = 1, Groups = 3)",
            "Conv2 Groups = 3 cannot be split over Columns = 2: 3 groups do not split evenly into 2 columns (3 / 2 = 1.5); use Groups = 1 or a multiple of 2"
        },
        {
            "NG0020", """
            [Network(Channels = 4, Height = 4, Width = 4, Columns = 2)]
            public partial class Net { [Conv(4, Kernel = 1, Groups = 2)] public partial Layer Conv1 { get; } }
            """, "Conv(4, Kernel = 1, Groups = 2)",
            "Conv1 Groups = 2 cannot be split over Columns = 2: the first layer reads the whole image on every column, so its groups would be computed twice; use Groups = 1"
        },
        {
            "NG0007", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net
            {
                [Dense(8), Softmax] public partial Layer Fc1 { get; }
                [Dense(2)] public partial Layer Fc2 { get; }
            }
            """, "Softmax",
            "Softmax on Fc1 must be the network's last operation, but layer Fc2 follows it; move Softmax to the end of the last layer"
        },
        {
            "NG0008", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8), Dropout(1f)] public partial Layer Fc { get; } }
            """, "Dropout(1f)",
            "Fc Dropout(1) has a rate outside [0, 1); the rate is the probability of zeroing a value, for example Dropout(0.5f)"
        },
        {
            "NG0011", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8), Elu(-1f)] public partial Layer Fc { get; } }
            """, "Elu(-1f)",
            "Fc Elu alpha = -1 must be zero or a positive finite number"
        },
        {
            "NG0011", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8), LeakyRelu(float.NaN)] public partial Layer Fc { get; } }
            """, "LeakyRelu(float.NaN)",
            "Fc LeakyRelu slope = NaN must be a finite number"
        },
        {
            "NG0009", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Conv(4, Kernel = 1), Lrn(4)] public partial Layer Conv1 { get; } }
            """, "Lrn(4)",
            "Conv1 Lrn(4) has an even size; the window is centred on each channel, so use an odd size such as 5"
        },
        {
            "NG0010", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Empty { }
            """, "Network(Channels = 1, Height = 4, Width = 4)",
            "Network 'Empty' has no layers; add one, for example [Dense(10), Softmax] public partial Layer Output { get; }"
        },
        {
            "NG0011", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Conv(8, Kernel = 0)] public partial Layer Conv1 { get; } }
            """, "Conv(8, Kernel = 0)",
            "Conv1 Kernel = 0 must be at least 1"
        },
        {
            "NG0011", """
            [Network(Channels = 0, Height = 4, Width = 4)]
            public partial class Net { [Dense(8)] public partial Layer Fc { get; } }
            """, "Network(Channels = 0, Height = 4, Width = 4)",
            "Net Channels = 0 must be at least 1"
        },
        {
            "NG0011", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8, WeightStd = -0.01f)] public partial Layer Fc { get; } }
            """, "Dense(8, WeightStd = -0.01f)",
            "Fc WeightStd = -0.01 must be a positive finite number"
        },
        {
            "NG0012", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net
            {
                [Dense(8)] public partial Layer Fc { get; }
                [Conv(4, Kernel = 1)] public partial Layer Conv { get; }
            }
            """, "Conv(4, Kernel = 1)",
            "Conv on Conv comes after dense layer Fc, whose output is a flat vector of 8 values; put convolutions and pooling before the first dense layer"
        },
        {
            "NG0012", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net
            {
                [Dense(8)] public partial Layer Fc { get; }
                [Dense(4), GlobalAvgPool] public partial Layer Fc2 { get; }
            }
            """, "GlobalAvgPool",
            "GlobalAvgPool on Fc2 comes after dense layer Fc2, whose output is a flat vector of 4 values; put convolutions and pooling before the first dense layer"
        },
        {
            "NG0013", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Relu, Dense(8)] public partial Layer Fc { get; } }
            """, "Relu",
            "Layer 'Fc' starts with Relu; a layer is one Conv or Dense followed by parameter-free operations, for example [Conv(96, Kernel = 11), Relu]"
        },
        {
            "NG0013", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8), Dense(4)] public partial Layer Fc { get; } }
            """, "Dense(4)",
            "Layer 'Fc' has a second learnable operation, Dense; a layer is one Conv or Dense followed by parameter-free operations, for example [Conv(96, Kernel = 11), Relu]"
        },
        {
            "NG0014", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense("eight")] public partial Layer Fc { get; } }
            """, "Dense(\"eight\")",
            "Fc: Dense cannot read its arguments (they match none of its constructors); it takes units (int), WeightStd (float), BiasInit (float), LrMult (float), BiasLrMult (float), DecayMult (float), BiasDecayMult (float), Init (Init), Bias (bool), Input (string)"
        },
        {
            // A PyTorch habit: MaxPool has no Kernel (the compiler says CS0246 and, for the missing window, CS7036).
            "NG0014", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(4, Kernel = 1), MaxPool(2, Kernel = 2)] public partial Layer Conv1 { get; } }
            """, "MaxPool(2, Kernel = 2)",
            "Conv1: MaxPool has no setting named Kernel; it takes window (int), Stride (int), Pad (int), Round (Rounding)"
        },
        {
            "NG0014", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8), Dropout(0.5)] public partial Layer Fc { get; } }
            """, "Dropout(0.5)",
            "Fc: Dropout cannot read its arguments (they match none of its constructors); it takes rate (float)"
        },
        {
            "NG0014", """
            [Network(Channels = 1, Height = 4, Width = 4, Chanels = 3)]
            public partial class Net { [Dense(8)] public partial Layer Fc { get; } }
            """, "Network(Channels = 1, Height = 4, Width = 4, Chanels = 3)",
            "Net: Network has no setting named Chanels; it takes Channels (int), Height (int), Width (int), Columns (int), Round (Rounding), Layers (Type), Classes (int), Init (Init)"
        },
        {
            "NG0014", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8), Relu(2)] public partial Layer Fc { get; } }
            """, "Relu(2)",
            "Fc: Relu cannot read its arguments (they match none of its constructors); it takes no arguments"
        },
        {
            "NG0024", """
            [Network]
            public partial class Net { [Dense(2)] public partial Layer Fc { get; } }
            """, "Network",
            "Net: Network needs Channels = ... (the input's channels: 3 for RGB, 1 for grayscale), which has no default; write, for example, Network(Channels = 3, Height = 224, Width = 224)"
        },
        {
            "NG0024", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(16, Pad = 1)] public partial Layer Conv1 { get; } }
            """, "Conv(16, Pad = 1)",
            "Conv1: Conv needs Kernel = ... (the side of its square kernel), which has no default; write, for example, Conv(16, Pad = 1, Kernel = 3)"
        },
        {
            "NG0024", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(4, Kernel = 1), MaxPool(Stride = 2)] public partial Layer Conv1 { get; } }
            """, "MaxPool(Stride = 2)",
            "Conv1: MaxPool needs its window, which has no default; write, for example, MaxPool(2)"
        },
        {
            "NG0024", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(4, Kernel = 1), Lrn] public partial Layer Conv1 { get; } }
            """, "Lrn",
            "Conv1: Lrn needs its size, which has no default; write, for example, Lrn(5)"
        },
        {
            "NG0024", """
            [Network(Height = 8, Width = 8)]
            public partial class Net { [Dense(2)] public partial Layer Fc { get; } }
            """, "Network(Height = 8, Width = 8)",
            "Net: Network needs Channels = ... (the input's channels: 3 for RGB, 1 for grayscale), which has no default; write, for example, Network(Height = 8, Width = 8, Channels = 3)"
        },
        {
            "NG0015", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net<T> { [Dense(8)] public partial Layer Fc { get; } }
            """, "Net",
            "'Net' cannot be a network: it is generic; generated kernels fix every size, so declare a non-generic class"
        },
        {
            "NG0015", """
            public class Base { }
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net : Base { [Dense(8)] public partial Layer Fc { get; } }
            """, "Net",
            "'Net' cannot be a network: it derives from 'Probe.Base', and the generated part derives from NetGen.Network"
        },
        {
            "NG0016", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(4, Kernel = 1), MaxPool(3, Pad = 2)] public partial Layer Conv1 { get; } }
            """, "MaxPool(3, Pad = 2)",
            "Conv1 MaxPool pads 2 on each side of a 3-wide window; a pad over 1 (half the window) makes windows of nothing but padding"
        },
        {
            "NG0017", """
            [Network(Channels = 1, Height = 400, Width = 400)]
            public partial class Net { [Dense(20000)] public partial Layer Fc { get; } }
            """, "Dense(20000)",
            "Fc weight holds 3200000000 values per image, more than the 2147483647 a kernel can index; make the layer smaller"
        },
        {
            "NG0018", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net
            {
                [Dense(8)] public partial Layer Fc { get; }
                [Dense(8)] public partial Layer FC { get; }
            }
            """, "FC",
            "Layers 'Fc' and 'FC' share the name 'fc' that parameters and activations are named by; rename one"
        },
        {
            "NG0021", """
            public class Plain { }
            [Network(Layers = typeof(Plain), Classes = 3)]
            public partial class Net;
            """, "Network(Layers = typeof(Plain), Classes = 3)",
            "Net cannot take its layers from Plain: Probe.Plain is not a [Network] class"
        },
        {
            "NG0021", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Base { [Dense(4)] public partial Layer Fc { get; } }
            [Network(Layers = typeof(Base), Classes = 3)]
            public partial class Middle;
            [Network(Layers = typeof(Middle), Classes = 2)]
            public partial class Net;
            """, "Network(Layers = typeof(Middle), Classes = 2)",
            "Net cannot take its layers from Middle: Middle takes its own layers from Base; name Base instead"
        },
        {
            "NG0021", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Base { [Dense(4)] public partial Layer Fc { get; } }
            [Network(Layers = typeof(Base))]
            public partial class Net { [Dense(2)] public partial Layer Head { get; } }
            """, "Network(Layers = typeof(Base))",
            "Net cannot take its layers from Base: Net also declares layer Head; a network takes another's layers or declares its own, not both"
        },
        {
            "NG0021", """
            [Network(Layers = typeof(Net), Classes = 2)]
            public partial class Net;
            """, "Network(Layers = typeof(Net), Classes = 2)",
            "Net cannot take its layers from Net: it names Net itself"
        },
        {
            "NG0011", """
            [Network(Channels = 1, Height = 8, Width = 8, Round = (Rounding)7)]
            public partial class Net { [Conv(4, Kernel = 2, Stride = 2)] public partial Layer Conv1 { get; } }
            """, "Network(Channels = 1, Height = 8, Width = 8, Round = (Rounding)7)",
            "Net Round = 7 must be Rounding.Exact, Rounding.Floor or Rounding.Ceil"
        },
        {
            // A layer's own Round wins over the network's.
            "NG0003", """
            [Network(Channels = 1, Height = 16, Width = 16, Round = Rounding.Floor)]
            public partial class Net
            {
                [Conv(4, Kernel = 3, Stride = 2), MaxPool(2)] public partial Layer Conv1 { get; }
                [Conv(4, Kernel = 2, Stride = 2, Round = Rounding.Exact)] public partial Layer Conv2 { get; }
            }
            """, "Conv(4, Kernel = 2, Stride = 2, Round = Rounding.Exact)",
            "Conv2 output height and width (3 - 2 + 2*0) / 2 + 1 = 1.5 is not a whole number; an input of 4 gives 2, or set Round = Rounding.Floor (1) or Rounding.Ceil (2)"
        },
        {
            "NG0023", """
            public sealed class SquareAttribute : OperationAttribute { }
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8), Square] public partial Layer Fc { get; } }
            """, "Square",
            "Fc carries 'Probe.SquareAttribute', an operation attribute this NetGen generator has no code for; use the operations NetGen declares (Conv, Dense, Relu, Lrn, MaxPool, AvgPool, Dropout, Softmax), or a NetGen whose generator knows it"
        },
        {
            "NG0022", """
            [Network(Channels = 1, Height = 4, Width = 4, Classes = 3)]
            public partial class Net
            {
                [Dense(8)] public partial Layer Fc1 { get; }
                [Dense(10), Softmax] public partial Layer Fc2 { get; }
            }
            """, "Network(Channels = 1, Height = 4, Width = 4, Classes = 3)",
            "Net declares Classes = 3, but its last layer Fc2 has 10 units; make them agree, or leave Classes out"
        },
        {
            "NG0011", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Base { [Dense(4)] public partial Layer Fc { get; } }
            [Network(Layers = typeof(Base), Classes = -2)]
            public partial class Net;
            """, "Network(Layers = typeof(Base), Classes = -2)",
            "Net Classes = -2 must be at least 1"
        },
        {
            "NG0025", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8, Init = Init.HeNormal, WeightStd = 0.05f)] public partial Layer Fc { get; } }
            """, "Dense(8, Init = Init.HeNormal, WeightStd = 0.05f)",
            "Fc sets WeightStd = 0.05, but its weights are drawn by Init.HeNormal, which ignores WeightStd; leave WeightStd out, or set Init = Init.Gaussian on the layer"
        },
        {
            "NG0025", """
            [Network(Channels = 1, Height = 4, Width = 4, Init = Init.XavierUniform)]
            public partial class Net { [Conv(2, Kernel = 3, WeightStd = 0.1f)] public partial Layer Conv1 { get; } }
            """, "Conv(2, Kernel = 3, WeightStd = 0.1f)",
            "Conv1 sets WeightStd = 0.1, but its weights are drawn by Init.XavierUniform, which ignores WeightStd; leave WeightStd out, or set Init = Init.Gaussian on the layer"
        },
        {
            "NG0011", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net { [Dense(8, Init = (Init)9)] public partial Layer Fc { get; } }
            """, "Dense(8, Init = (Init)9)",
            "Fc Init = 9 must be one of Init.Gaussian, Init.HeNormal, Init.HeNormalFanOut, Init.XavierUniform, Init.XavierNormal, Init.PyTorchDefault"
        },
        {
            "NG0026", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net
            {
                [Conv(2, Kernel = 3, Pad = 1)] public partial Layer Conv1 { get; }
                [Conv(2, Kernel = 3, Pad = 1, Input = nameof(Conv3))] public partial Layer Conv2 { get; }
                [Conv(2, Kernel = 3, Pad = 1)] public partial Layer Conv3 { get; }
            }
            """, "Conv(2, Kernel = 3, Pad = 1, Input = nameof(Conv3))",
            "Conv2 reads 'Conv3', which is not an earlier layer of Net; name one of Conv1 with nameof, or move Conv2 after the layer it reads"
        },
        {
            "NG0026", """
            [Network(Channels = 1, Height = 4, Width = 4)]
            public partial class Net
            {
                [Conv(2, Kernel = 3, Pad = 1), Add("Conv1")] public partial Layer Conv1 { get; }
                [Conv(2, Kernel = 3, Pad = 1)] public partial Layer Conv2 { get; }
            }
            """, "Add(\"Conv1\")",
            "Conv1 reads 'Conv1', which is not an earlier layer of Net; name one of no layer (it is the first) with nameof, or move Conv1 after the layer it reads"
        },
        {
            "NG0027", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net
            {
                [Conv(4, Kernel = 3, Pad = 1)] public partial Layer Conv1 { get; }
                [Conv(8, Kernel = 2, Stride = 2), Add(nameof(Conv1)), Relu] public partial Layer Conv2 { get; }
            }
            """, "Add(nameof(Conv1))",
            "Conv2 adds Conv1's output 4 x 8 x 8 to its own value 8 x 4 x 4; the two must have one shape (channels 4 against 8, height 8 against 4, width 8 against 4); give the layers the same channels and stride, or add a projection layer such as [Conv(8, Kernel = 1, Stride = ..., Input = nameof(Conv1))] and add that"
        },
        {
            "NG0028", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net
            {
                [Conv(4, Kernel = 3, Pad = 1)] public partial Layer Conv1 { get; }
                [Conv(4, Kernel = 3, Pad = 1), Relu, Add(nameof(Conv1))] public partial Layer Conv2 { get; }
            }
            """, "Add(nameof(Conv1))",
            "Conv2: Add comes after Relu; a join comes right after the layer's Conv, Dense, BatchNorm or pooling, before its activations, so move it there (as in [Conv(...), BatchNorm, Add(...), Relu])"
        },
        {
            "NG0029", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net
            {
                [Conv(4, Kernel = 3, Pad = 1)] public partial Layer Conv1 { get; }
                [Conv(4, Kernel = 3, Pad = 1)] public partial Layer Conv2 { get; }
                [Conv(4, Kernel = 3, Pad = 1, Input = nameof(Conv1))] public partial Layer Conv3 { get; }
            }
            """, "Conv2",
            "Conv2's output conv2 is read by no layer: Conv3 reads Conv1; read Conv2 with Input = nameof(Conv2) or Add(nameof(Conv2)) in a later layer, or remove it"
        },
        {
            "NG0030", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(4, Kernel = 3, Pad = 1), BatchNorm, Relu] public partial Layer Conv1 { get; } }
            """, "Conv(4, Kernel = 3, Pad = 1)",
            "Conv1 has a bias, but BatchNorm right after it subtracts each channel's mean, which cancels the bias; write Bias = false on Conv1 (the learned shift is BatchNorm's bias)"
        },
        {
            "NG0031", """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(4, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu, BatchNorm] public partial Layer Conv1 { get; } }
            """, "BatchNorm",
            "Conv1 has a second BatchNorm, whose tensors would also be named conv1.bn.*; put the second BatchNorm in a layer of its own"
        },
        {
            "NG0032", """
            [Network(Channels = 1, Height = 8, Width = 8, Columns = 2)]
            public partial class Net
            {
                [Conv(4, Kernel = 3, Pad = 1)] public partial Layer Features { get; }
                [Dense(4)] public partial Layer Partition { get; }
            }
            """, "Partition",
            "Layer 'Partition' has a name the code generated for Net uses for its column split; rename the layer"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReportsAtTheCauseWithItsArithmetic(string id, string declaration, string located, string message)
    {
        string source = Usings + declaration;
        var (result, output) = GeneratorHarness.Run(("Probe.cs", source));

        var diagnostic = Assert.Single(GeneratorHarness.Diagnostics(result), d => d.Id == id);
        Assert.Equal(id == "NG0030" ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal(located, source.Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length));
        Assert.Equal(message, diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        // No generator crash; and where the type and member can take generated code, no cascade of missing implementations.
        Assert.DoesNotContain(output.GetDiagnostics(), d => d.Id == "CS8785");
        if (id is not ("NG0001" or "NG0002" or "NG0015"))
            Assert.DoesNotContain(output.GetDiagnostics(), d => d.Id == "CS9248");
    }

    [Fact]
    public void AForgottenKernelIsOneErrorThatSaysItIsRequired()
    {
        // Before: "Conv1 Kernel = 0 must be at least 1", as if the user had written 0.
        var (result, output) = GeneratorHarness.Run(("Probe.cs", Usings + """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(16, Pad = 1)] public partial Layer Conv1 { get; } }
            """));
        var diagnostic = Assert.Single(GeneratorHarness.CompileErrors(output).Concat(GeneratorHarness.Diagnostics(result)));
        Assert.Equal("NG0024", diagnostic.Id);
        Assert.Contains("Conv needs Kernel", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AnOperationLeftUnreadDrawsNoErrorsAboutTheLayerWithoutIt()
    {
        // Before: NG0014, then NG0013 "Layer 'Fc' starts with Relu", as if Dense were not written.
        var (result, output) = GeneratorHarness.Run(("Probe.cs", Usings + """
            [Network(Channels = 1, Height = 8, Width = 8, Classes = 2)]
            public partial class Net
            {
                [Dense, Relu] public partial Layer Fc { get; }
                [Dense(2), Softmax] public partial Layer Out { get; }
            }
            """));
        Assert.Equal(["NG0024"], GeneratorHarness.Diagnostics(result).Select(d => d.Id));
        Assert.Equal(["CS7036"], GeneratorHarness.CompileErrors(output).Select(d => d.Id));
    }

    [Fact]
    public void APyTorchKernelOnMaxPoolNamesTheAttributeAndWhatItTakes()
    {
        // MaxPool(Kernel = 2): the compiler finds no Kernel (CS0246) and no window (CS7036); NetGen
        // says which attribute, what it takes, and that the window is what is missing.
        string source = Usings + """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public partial class Net { [Conv(4, Kernel = 1), MaxPool(Kernel = 2)] public partial Layer Conv1 { get; } }
            """;
        var (result, output) = GeneratorHarness.Run(("Probe.cs", source));
        var messages = GeneratorHarness.Diagnostics(result)
            .Select(d => $"{d.Id} {source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
        Assert.Equal(
            [
                "NG0014 MaxPool(Kernel = 2): Conv1: MaxPool has no setting named Kernel; it takes window (int), Stride (int), Pad (int), Round (Rounding)",
                "NG0024 MaxPool(Kernel = 2): Conv1: MaxPool needs its window, which has no default; write, for example, MaxPool(2)",
            ], messages.OrderBy(m => m, System.StringComparer.Ordinal));
        Assert.Equal(["CS0246", "CS7036", "NG0014", "NG0024"],
            GeneratorHarness.CompileErrors(output).Concat(result.Diagnostics).Select(d => d.Id).Distinct().OrderBy(id => id, System.StringComparer.Ordinal));
    }

    [Fact]
    public void ANetworkThatIsNotPartialGetsNoErrorPerLayer()
    {
        // The user's partial layers in a non-partial class are errors of their own, two per layer
        // (CS0751: a partial member outside a partial type; CS9248: no implementing part). The
        // generator implements them in a partial declaration of the class, which leaves only the
        // compiler's CS0260 (the same advice as NG0001, at the same name): no partial declaration
        // of a non-partial class can compile, and a diagnostic suppressor cannot suppress errors.
        string source = Usings + """
            [Network(Channels = 1, Height = 8, Width = 8)]
            public sealed class Net
            {
                [Conv(4, Kernel = 3), Relu, MaxPool(2)] public partial Layer Conv1 { get; }
                [Dense(8), Relu] public partial Layer Fc1 { get; }
                [Dense(2), Softmax] internal partial Layer Fc2 { get; }
            }
            """;
        var (result, output) = GeneratorHarness.Run(("Probe.cs", source));
        var errors = GeneratorHarness.CompileErrors(output).Concat(GeneratorHarness.Diagnostics(result))
            .Select(d => $"{d.Id} {source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}")
            .OrderBy(e => e, System.StringComparer.Ordinal);
        Assert.Equal(["CS0260 Net", "NG0001 Net"], errors);
    }

    [Fact]
    public void ANetworkNestedInAClassThatIsNotPartialGetsNoErrorPerLayer()
    {
        string source = Usings + """
            public class Outer
            {
                [Network(Channels = 1, Height = 4, Width = 4)]
                public partial class Net { [Dense(2)] public partial Layer Fc { get; } }
            }
            """;
        var (result, output) = GeneratorHarness.Run(("Probe.cs", source));
        var errors = GeneratorHarness.CompileErrors(output).Concat(GeneratorHarness.Diagnostics(result))
            .Select(d => $"{d.Id} {source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)}")
            .OrderBy(e => e, System.StringComparer.Ordinal);
        Assert.Equal(["CS0260 Outer", "NG0001 Outer"], errors);
    }

    [Fact]
    public void ANetworkWideRoundingAppliesWhereALayerSetsNone()
    {
        const string Declaration = """
            [Network(Channels = 1, Height = 16, Width = 16, Round = Rounding.Floor)]
            public sealed partial class Net
            {
                [Conv(4, Kernel = 3, Stride = 2), MaxPool(2)] public partial Layer Conv1 { get; }
                [Conv(4, Kernel = 1), MaxPool(2, Round = Rounding.Ceil)] public partial Layer Conv2 { get; }
                [Dense(2), Softmax] public partial Layer Fc { get; }
            }
            """;
        var (result, output) = GeneratorHarness.Run(("Probe.cs", Usings + Declaration));

        Assert.Empty(GeneratorHarness.Diagnostics(result));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        string shapes = result.GeneratedSources.Single(s => s.HintName == "Probe.Net.g.cs").SourceText.ToString();
        // 16 -> (16 - 3) / 2 + 1 = 7.5, floored to 7; the 2-wide pool: (7 - 2) / 2 + 1 = 3.5, floored
        // to 3; conv2 keeps 3; its pool says Ceil itself: (3 - 2) / 2 + 1 = 1.5, up to 2.
        Assert.Contains("public const int Conv1Height = 7;", shapes);
        Assert.Contains("public const int Conv1MaxPoolHeight = 3;", shapes);
        Assert.Contains("public const int Conv2MaxPoolWidth = 2;", shapes);
    }

    [Fact]
    public void LayersInTwoFilesAreReported()
    {
        var (result, _) = GeneratorHarness.Run(
            ("A.cs", Usings + "[Network(Channels = 1, Height = 4, Width = 4)] public partial class Net { [Dense(8)] public partial Layer Fc1 { get; } }"),
            ("B.cs", Usings + "public partial class Net { [Dense(2)] public partial Layer Fc2 { get; } }"));

        var diagnostic = Assert.Single(GeneratorHarness.Diagnostics(result));
        Assert.Equal("NG0019", diagnostic.Id);
        Assert.Equal("B.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal("Layer 'Fc2' of 'Net' is declared in another file than 'Fc1'; declaration order is layer order, so declare every layer in one file",
            diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void EveryDescriptorIsTestedAndTracked()
    {
        var tested = Cases.Select(c => (string)c[0]).Append("NG0019").ToHashSet();
        string releases = System.IO.File.ReadAllText(System.IO.Path.Combine(GeneratorHarness.RepositoryRoot, "Generator", "AnalyzerReleases.Unshipped.md"));
        string documented = System.IO.File.ReadAllText(System.IO.Path.Combine(GeneratorHarness.RepositoryRoot, "docs", "diagnostics.md"));
        foreach (var descriptor in NetGen.Generator.Diagnostics.DiagnosticDescriptors.All)
        {
            Assert.Contains($"| {descriptor.Id} |", documented);
            Assert.Contains(descriptor.Id, tested);
            Assert.Contains($"{descriptor.Id} | NetGen | {descriptor.DefaultSeverity} | {descriptor.Title}", releases);
        }
    }

    [Fact]
    public void SoundNetworkCompilesWithoutDiagnostics()
    {
        var (result, output) = GeneratorHarness.Run(("Probe.cs", Usings + """
            [Network(Channels = 3, Height = 11, Width = 11, Columns = 2)]
            public partial class Net
            {
                [Conv(4, Kernel = 3, Stride = 2, Pad = 1, Groups = 1), Relu, Lrn(3), AvgPool(2, Round = Rounding.Ceil)] public partial Layer Conv1 { get; }
                [Dense(6), Relu, Dropout(0.25f)] public partial Layer Fc1 { get; }
                [Dense(2), Softmax] public partial Layer Fc2 { get; }
            }
            """));
        Assert.Empty(GeneratorHarness.Diagnostics(result));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
    }
}
