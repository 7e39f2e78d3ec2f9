package org.qimg.cli;

import java.io.IOException;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/** JSON printing laid out like QEMU's pretty printer: four-space indents, {@code "key": value}. */
final class Json {
    private static final ObjectWriter WRITER;

    static {
        DefaultIndenter indent = new DefaultIndenter("    ", "\n");
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        pp.indentObjectsWith(indent);
        pp.indentArraysWith(indent);
        WRITER = new ObjectMapper().writer(new QemuPrettyPrinter(pp));
    }

    private Json() {
    }

    /**
     * QEMU prints an empty array or object on two lines ({@code [} then the closing bracket on its own
     * line at the parent's indent), where Jackson prints {@code [ ]}.
     */
    private static final class QemuPrettyPrinter extends DefaultPrettyPrinter {
        private static final long serialVersionUID = 1L;

        QemuPrettyPrinter(DefaultPrettyPrinter base) {
            super(base);
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new QemuPrettyPrinter(this);
        }

        @Override
        public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
            if (nrOfValues == 0 && !_arrayIndenter.isInline()) {
                _arrayIndenter.writeIndentation(g, --_nesting);
                g.writeRaw(']');
                return;
            }
            super.writeEndArray(g, nrOfValues);
        }

        @Override
        public void writeEndObject(JsonGenerator g, int nrOfEntries) throws IOException {
            if (nrOfEntries == 0 && !_objectIndenter.isInline()) {
                --_nesting;
                _objectIndenter.writeIndentation(g, _nesting);
                g.writeRaw('}');
                return;
            }
            super.writeEndObject(g, nrOfEntries);
        }
    }

    static String pretty(Object value) {
        try {
            return WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render JSON", e);
        }
    }
}
