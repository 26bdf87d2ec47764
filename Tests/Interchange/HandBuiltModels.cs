using static NetGen.Tests.Interchange.OnnxModelBuilder;

namespace NetGen.Tests.Interchange;

/// <summary>Models built by hand for what neither NetGen's export nor <see cref="TorchStyleModel"/> writes.</summary>
internal static class HandBuiltModels
{
    /// <summary>
    /// Dense layers on vectors (N, 12): Gemm without transB and with alpha, beta and a (1, units)
    /// bias; Gemm with one bias value for every unit; MatMul without an Add.
    /// </summary>
    public static OnnxModelBuilder Vector()
    {
        var b = new OnnxModelBuilder(opset: 13);
        string x = b.Input("features", 12);
        x = b.Node("Gemm", "gemm0", [x, b.Random("w0", 0.5f, 12, 5), b.Random("b0", 0.5f, 1, 5)], "h0", Float("alpha", 0.5f), Float("beta", 2f));
        x = b.Node("Elu", "elu", [x], "h1", Float("alpha", 0.5f));
        x = b.Node("Gemm", "gemm1", [x, b.Random("w1", 0.5f, 4, 5), b.Random("b1", 0.5f, 1)], "h2", Int("transB", 1));
        x = b.Node("LeakyRelu", "leaky", [x], "h3", Float("alpha", 0.2f));
        x = b.Node("MatMul", "matmul", [x, b.Random("w2", 0.5f, 4, 3)], "h4");
        b.Output(b.Node("Sigmoid", "sigmoid", [x], "output"));
        return b;
    }

    /// <summary>
    /// A convolution padded by auto_pad SAME_UPPER with stride 2, an average pool with padding
    /// counted and ceil_mode, global average pooling squeezed to (N, C), and a softmax over axis 1.
    /// </summary>
    public static OnnxModelBuilder SamePadding()
    {
        var b = new OnnxModelBuilder(opset: 13);
        string x = b.Input("image", 2, 7, 7);
        x = b.Node("Conv", "conv", [x, b.Random("conv.weight", 0.5f, 4, 2, 3, 3), b.Random("conv.bias", 0.5f, 4)], "c",
            Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Text("auto_pad", "SAME_UPPER"));
        x = b.Node("Tanh", "tanh", [x], "t");
        x = b.Node("AveragePool", "pool", [x], "p", Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1),
            Int("count_include_pad", 1), Int("ceil_mode", 1));
        x = b.Node("Conv", "project", [x, b.Random("project.weight", 0.5f, 6, 4, 1, 1)], "q", Ints("kernel_shape", 1, 1));
        x = b.Node("GlobalAveragePool", "global", [x], "g");
        x = b.Node("Squeeze", "squeeze", [x, b.IntTensor("axes", 2, 3)], "s");
        x = b.Node("Gemm", "fc", [x, b.Random("fc.weight", 0.5f, 3, 6), b.Random("fc.bias", 0.5f, 3)], "logits", Int("transB", 1));
        b.Output(b.Node("Softmax", "softmax", [x], "output", Int("axis", 1)));
        return b;
    }
}
