from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('smecredit', '0003_ingestion')]

    initial = False

    operations = [
        ops.CreateModel(
            name='KeyFingerprint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('purpose', fields.CharField(description='``encryption`` or ``blind_index``', max_length=32)),
                ('key_id', fields.CharField(max_length=32)),
                ('fingerprint', fields.CharField(description='HMAC-SHA256 of a fixed label under the key (security.crypto.Keyring.fingerprints)', max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'key_fingerprint', 'app': 'smecredit', 'unique_together': (('purpose', 'key_id'),), 'pk_attr': 'id', 'table_description': "A key this database's encrypted data depends on, by fingerprint (never the key)."},
            bases=['Model'],
        ),
    ]
