package org.qimg.cli;

import picocli.CommandLine;

/** {@code --output=human|json}, spelled and validated as qemu-img does. */
enum OutputFormat {
    HUMAN, JSON;

    static final class Converter implements CommandLine.ITypeConverter<OutputFormat> {
        @Override
        public OutputFormat convert(String value) {
            switch (value) {
                case "human":
                    return HUMAN;
                case "json":
                    return JSON;
                default:
                    throw new CommandLine.TypeConversionException(
                            "--output must be used with human or json as argument.");
            }
        }
    }
}
