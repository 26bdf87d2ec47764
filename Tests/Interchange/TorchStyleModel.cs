using static NetGen.Tests.Interchange.OnnxModelBuilder;

namespace NetGen.Tests.Interchange;

/// <summary>
/// A model as torch.onnx.export writes one, built by hand: node names like <c>/conv1/Conv</c>,
/// weights named as a state dict (<c>layer1.0.conv1.weight</c>), a convolution with a bias before
/// batch normalisation, a max pool with ceil_mode, a residual block whose Add reads the block's
/// input, GlobalAveragePool and Reshape to (0, -1), Identity, Dropout with its ratio as a Constant
/// node, Gemm with transB = 1, GELU's tanh approximation as PyTorch's symbolic writes it (with Pow),
/// MatMul and Add with the bias first, and Softmax over the last axis.
/// </summary>
internal static class TorchStyleModel
{
    /// <summary>What importing it should declare.</summary>
    public const string Declaration =
        """
        [Network(Channels = 3, Height = 8, Width = 8, Round = Rounding.Ceil)]
        public sealed partial class TorchStyle
        {
            /// <summary>8 x 4 x 4, from node "/conv1/Conv" (Conv).</summary>
            [Conv(8, Kernel = 3, Pad = 1, Bias = false), BatchNorm, Relu, MaxPool(3, Stride = 2)]
            public partial Layer Conv1 { get; }

            /// <summary>8, from node "/layer1/layer1.0/conv1/Conv" (Conv).</summary>
            [Conv(8, Kernel = 1, Bias = false), BatchNorm(Eps = 0.001f), Add(nameof(Conv1)), Relu, GlobalAvgPool, Dropout(0.25f)]
            public partial Layer Layer10Conv1 { get; }

            /// <summary>6, from node "/fc/Gemm" (Gemm).</summary>
            [Dense(6), Gelu]
            public partial Layer Fc { get; }

            /// <summary>4, from node "/head/Add" (Add).</summary>
            [Dense(4), Softmax]
            public partial Layer Head { get; }
        }

        """;

    public static OnnxModelBuilder Build()
    {
        var b = new OnnxModelBuilder(opset: 17);
        string x = b.Input("input", 3, 8, 8);
        x = b.Node("Conv", "/conv1/Conv", [x, b.Random("conv1.weight", 0.4f, 8, 3, 3, 3), b.Random("conv1.bias", 0.5f, 8)], "/conv1/Conv_output_0",
            Ints("dilations", 1, 1), Int("group", 1), Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1), Ints("strides", 1, 1));
        x = BatchNorm(b, "/bn1/BatchNormalization", "bn1", x, 1e-5f);
        x = b.Node("Relu", "/relu/Relu", [x], "/relu/Relu_output_0");
        string block = b.Node("MaxPool", "/maxpool/MaxPool", [x], "/maxpool/MaxPool_output_0",
            Int("ceil_mode", 1), Ints("kernel_shape", 3, 3), Ints("pads", 0, 0, 0, 0), Ints("strides", 2, 2));
        x = b.Node("Conv", "/layer1/layer1.0/conv1/Conv", [block, b.Random("layer1.0.conv1.weight", 0.4f, 8, 8, 1, 1)], "/layer1/layer1.0/conv1/Conv_output_0",
            Ints("kernel_shape", 1, 1), Ints("strides", 1, 1));
        x = BatchNorm(b, "/layer1/layer1.0/bn1/BatchNormalization", "layer1.0.bn1", x, 1e-3f);
        x = b.Node("Add", "/layer1/layer1.0/Add", [x, block], "/layer1/layer1.0/Add_output_0");
        x = b.Node("Relu", "/layer1/layer1.0/relu/Relu", [x], "/layer1/layer1.0/relu/Relu_output_0");
        x = b.Node("GlobalAveragePool", "/avgpool/GlobalAveragePool", [x], "/avgpool/GlobalAveragePool_output_0");
        x = b.Node("Reshape", "/Reshape", [x, b.IntTensor("/Constant_output_0", 0, -1)], "/Reshape_output_0");
        x = b.Node("Identity", "/Identity", [x], "/Identity_output_0");
        x = b.Node("Dropout", "/dropout/Dropout", [x, b.Scalar("/dropout/Constant_output_0", 0.25f)], "/dropout/Dropout_output_0");
        x = b.Node("Gemm", "/fc/Gemm", [x, b.Random("fc.weight", 0.5f, 6, 8), b.Random("fc.bias", 0.5f, 6)], "/fc/Gemm_output_0",
            Float("alpha", 1f), Float("beta", 1f), Int("transB", 1));
        x = Gelu(b, x);
        string product = b.Node("MatMul", "/head/MatMul", [x, b.Random("head.weight", 0.5f, 6, 4)], "/head/MatMul_output_0");
        x = b.Node("Add", "/head/Add", [b.Random("head.bias", 0.5f, 4), product], "/head/Add_output_0");
        b.Output(b.Node("Softmax", "/softmax/Softmax", [x], "output", Int("axis", -1)));
        return b;
    }

    private static string BatchNorm(OnnxModelBuilder b, string node, string module, string x, float eps)
    {
        string variance = b.Floats(module + ".running_var", [0.5f, 0.7f, 0.9f, 1.1f, 1.3f, 1.5f, 1.7f, 1.9f], 8);
        return b.Node("BatchNormalization", node, [x, b.Random(module + ".weight", 1f, 8), b.Random(module + ".bias", 0.5f, 8), b.Random(module + ".running_mean", 0.5f, 8), variance],
            node + "_output_0", Float("epsilon", eps), Float("momentum", 0.9f));
    }

    /// <summary>PyTorch's symbolic for <c>gelu(approximate='tanh')</c> at opset 9 and later: 0.5 * (x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))).</summary>
    private static string Gelu(OnnxModelBuilder b, string x)
    {
        string cube = b.Node("Pow", "/gelu/Pow", [x, b.Scalar("/gelu/three", 3f)], "/gelu/Pow_output_0");
        string term = b.Node("Mul", "/gelu/Mul", [b.Scalar("/gelu/kappa", 0.044715f), cube], "/gelu/Mul_output_0");
        string sum = b.Node("Add", "/gelu/Add", [x, term], "/gelu/Add_output_0");
        string inner = b.Node("Mul", "/gelu/Mul_1", [b.Scalar("/gelu/beta", 0.7978845608f), sum], "/gelu/Mul_1_output_0");
        string t = b.Node("Tanh", "/gelu/Tanh", [inner], "/gelu/Tanh_output_0");
        string onePlus = b.Node("Add", "/gelu/Add_1", [b.Scalar("/gelu/one", 1f), t], "/gelu/Add_1_output_0");
        string product = b.Node("Mul", "/gelu/Mul_2", [x, onePlus], "/gelu/Mul_2_output_0");
        return b.Node("Mul", "/gelu/Mul_3", [b.Scalar("/gelu/half", 0.5f), product], "/gelu/Mul_3_output_0");
    }
}
